"""``python -m tallyroom.cli``: the ``tallyroom`` command, with every command registered."""

from tallyroom.cli import main

main()
