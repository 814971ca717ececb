"""BLT, the ballot format of ERS, OpenSTV, Droop and most STV software: one reader, two paths.

:func:`read_blt` is the one entry, and the only place that decides the path:

* :mod:`~tallyroom.ballots.formats.blt.careful` reads any dialect line by line and refuses a
  bad file with its line and column; it reads streams, and files under :data:`FAST_BYTES`
  (no numpy is imported for them);
* :mod:`~tallyroom.ballots.formats.blt.fast` reads a big file on disk with numpy when it is
  in the plain dialect, and gives the same profile (same unique ballots in the same
  first-seen order, same weights, same invalid papers); a file that is not plain is handed
  to the careful reader;
* :mod:`~tallyroom.ballots.formats.blt.merge` merges papers given as integer keys into a
  profile: the fast reader's back half, shared with the sharded reader.

The layout and the dialects taken are described in
:mod:`~tallyroom.ballots.formats.blt.careful`; :func:`write_blt` writes standard BLT.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import BinaryIO

from tallyroom.ballots.formats.blt.careful import read_blt_careful, write_blt
from tallyroom.ballots.formats.blt.memory import keep_freed_memory
from tallyroom.ballots.formats.textio import with_file_digest
from tallyroom.ballots.model import BallotRules, Profile

__all__ = [
    "FAST_BYTES",
    "keep_freed_memory",
    "read_blt",
    "read_blt_careful",
    "read_blt_fast",
    "takes_fast_path",
    "write_blt",
]

#: files at least this big go from :func:`read_blt` to the numpy reader
#: (:mod:`~tallyroom.ballots.formats.blt.fast`); smaller ones are read carefully and
#: counted without numpy.  Measured on a whole ``tallyroom count`` (Scottish STV, ward-like
#: ballots, one paper a line or merged with weights): reading carefully and counting in plain
#: Python costs what importing numpy (~0.1 s), the fast reader and the numpy count cost
#: together at about 700-750 KB (35,000-60,000 papers); below it the careful reader is quicker
#: (10,000 papers, 150 KB: 30 ms against 120 ms).  Set below that crossover, as a process that
#: has numpy loaded already gains nothing from the careful reader.  Never above
#: textio.MAX_LINE: the careful reader's whole-file line split is for files no line of which
#: can be too long.
FAST_BYTES = 512 << 10

#: ``progress(bytes done, bytes in all)``, told as the ballot section of a big file is read
Progress = Callable[[int, int], None]


def read_blt(
    path: str | os.PathLike[str] | BinaryIO,
    rules: BallotRules = BallotRules(),
    *,
    source: str | None = None,
    progress: Progress | None = None,
    own_process: bool = False,
) -> Profile:
    """Read a BLT file into a profile, merging identical ballots as they are read.

    A big file on disk (:func:`takes_fast_path`) takes the numpy fast path, which gives the
    same profile and hands anything unusual back to the careful reader; ``progress`` is
    told how far through its ballots that reading is.  ``own_process``: the caller owns
    this process (a command-line program), so a file read by the fast path may tune the
    allocator first (:func:`keep_freed_memory`, which lasts for the life of the process).
    """
    if hasattr(path, "read"):
        return read_blt_careful(path, rules, source=source)
    fast = takes_fast_path(path)
    return with_file_digest(_read(path, rules, source, progress, own_process, fast), path)


def read_blt_fast(
    path: str | os.PathLike[str] | BinaryIO,
    rules: BallotRules = BallotRules(),
    *,
    source: str | None = None,
    progress: Progress | None = None,
) -> Profile:
    """Read a BLT file by the fast path whatever its size, if it is plain (else carefully):
    what :func:`read_blt` does for a big file, for tests and benchmarks."""
    if hasattr(path, "read"):
        return read_blt_careful(path, rules, source=source)
    return _read(path, rules, source, progress, False, True)  # type: ignore[arg-type]


def takes_fast_path(path: str | os.PathLike[str]) -> bool:
    """Whether :func:`read_blt` reads this file on disk by the fast path (it is at least
    :data:`FAST_BYTES`; the fast path still hands a file that is not plain to the careful
    reader)."""
    try:
        return os.path.getsize(path) >= FAST_BYTES
    except OSError:
        return False


def _read(
    path: str | os.PathLike[str],
    rules: BallotRules,
    source: str | None,
    progress: Progress | None,
    own_process: bool,
    fast: bool,
) -> Profile:
    if fast:
        from tallyroom.ballots.formats.blt.fast import read_plain
        from tallyroom.ballots.formats.blt.merge import NotPlain

        if own_process:
            keep_freed_memory()
        try:
            return read_plain(os.fspath(path), rules, source=source, progress=progress)
        except (NotPlain, OSError):
            pass
    return read_blt_careful(path, rules, source=source)
