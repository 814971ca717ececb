"""tallyroom's ballot service: the roll, codes, a secret ballot, the count and the
scrutineer's report (``tallyroom serve``; install with ``tallyroom[serve]``).

It uses tallyroom's public API only: the count it publishes is ``tallyroom.count``.
"""
