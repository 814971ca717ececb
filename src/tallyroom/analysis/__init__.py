"""What the rule does to the result: the same ballots under many rules, proportionality
indices, synthetic electorates, and the NEC 2016 demo.

Import the submodules: :mod:`~tallyroom.analysis.indices`,
:mod:`~tallyroom.analysis.compare`, :mod:`~tallyroom.analysis.generators`,
:mod:`~tallyroom.analysis.simulate`, :mod:`~tallyroom.analysis.nec2016`.  Nothing heavy is
imported here, so the command line stays fast.
"""
