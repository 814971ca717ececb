"""The fast path for big BLT files: the ballot section parsed with numpy, merged at read time.

:func:`read_plain` gives exactly the profile the careful reader
(:mod:`~tallyroom.ballots.formats.blt.careful`) gives -- same unique ballots in the same
first-seen order, same weights, same invalid papers -- without a Python object per paper:

1. the ballot section is cut into 1 MB chunks, parsed by a few threads at once (numpy lets
   go of the GIL); numbers are valued on the bytes, and each paper becomes one integer key
   (its preferences as digits in base ``candidates + 1``) -- :func:`_chunk`;
2. the keys are merged and the profile built by the shared merge
   (:mod:`~tallyroom.ballots.formats.blt.merge`), which the sharded reader uses too.

Only the plain dialect takes the fast path: ballot lines of whole numbers separated by
blanks, each ``weight prefs... 0`` on its own line, no repeated candidate on a paper.
Anything else (comments or ids among the ballots, ``=`` or ``-``, decimal weights, a
repeated preference, a bad candidate number, a missing end line ...) raises
:class:`~tallyroom.ballots.formats.blt.merge.NotPlain`, and :func:`~tallyroom.ballots.formats.blt.read_blt`
hands the file to the careful reader, which reads the whole file line by line and reports
any error with its line and column.  The header, withdrawn and option lines and the names
are always read by the careful reader.
"""

from __future__ import annotations

import io
import mmap
import os
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from tallyroom.ballots.formats.blt.careful import parse_stream
from tallyroom.ballots.formats.blt.merge import (
    NotPlain,
    Part,
    build_profile,
    dedupe,
    merge,
    threads,
)
from tallyroom.ballots.model import BallotRules, Profile
from tallyroom.errors import BallotFileError

_CHUNK = 1 << 20  # small enough for the CPU caches: numpy is much faster on them
_END = re.compile(rb"\n[ \t]*0[ \t]*\r?(\n|$)")
_PLAIN = b"0123456789 \t\r\n"
#: any line that begins with a zero (after blanks or commas): what might end the ballots
_MAYBE_END = re.compile(rb"\n[ \t,]*0+(?![0-9])")


def read_plain(
    path: str,
    rules: BallotRules = BallotRules(),
    *,
    source: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Profile:
    """Read a BLT file on disk by the fast path, or raise :class:`NotPlain` (or OSError)
    when it is not in the plain dialect.  ``progress(bytes done, bytes in all)`` is told as
    the ballot section is read."""
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size == 0:
            raise NotPlain
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            return _fast(mm, source or path, rules, progress)


def _head_end(mm: Any) -> int:
    """Offset of the first ballot line (after the header, withdrawn and option lines)."""
    pos, first = 0, True
    n = len(mm)
    while pos < n:
        end = mm.find(b"\n", pos, pos + (1 << 20))
        if end < 0:
            raise NotPlain  # no line end in sight: the careful reader says why
        line = mm[pos:end].strip()
        if line and not line.startswith(b"#"):
            if first:
                if b"," in line:
                    raise NotPlain  # the comma dialect
                first = False
            elif line[:1].isdigit():
                return pos
            elif not line.startswith((b"-", b"[")):
                raise NotPlain  # ballot ids and the like
        pos = end + 1
        if pos > 1 << 20:
            raise NotPlain
    raise NotPlain


def _fast(
    mm: Any, name: str, rules: BallotRules, progress: Callable[[int, int], None] | None
) -> Profile:
    start = _head_end(mm)
    m = _end_line(mm, start, name)
    stop = m.start() + 1  # the end line starts here
    if stop <= start:
        raise NotPlain  # no ballots at all
    # the election (names, withdrawn, ties) from the file without its ballots
    skeleton = mm[:start] + mm[stop:]
    try:
        head = parse_stream(io.BytesIO(skeleton), name, rules)
    except BallotFileError:
        raise NotPlain from None  # the careful reader gives the error its true line number
    if head.ballots or head.invalid:
        raise NotPlain
    election = head.election
    ncand = len(election.candidates)
    if ncand > 255:
        raise NotPlain
    base = ncand + 1
    use_int = base**ncand < 2**62

    bounds: list[tuple[int, int]] = []
    pos = start
    while pos < stop:
        end = min(pos + _CHUNK, stop)
        if end < stop:
            end = mm.rfind(b"\n", pos, end) + 1
            if end <= pos:
                raise NotPlain
        bounds.append((pos, end))
        pos = end

    def one(b: tuple[int, int]) -> Part:
        key, w = _chunk(mm[b[0] : b[1]], ncand, base, use_int)
        return dedupe(key, w, ncand, base, use_int)

    parts: list[Part] = []
    # numpy lets go of the GIL in its loops: chunks are parsed by a few threads at once
    pool = ThreadPoolExecutor(max_workers=threads())
    try:
        for (_, end), part in zip(bounds, pool.map(one, bounds)):
            parts.append(part)
            if progress is not None:
                progress(end - start, stop - start)
    finally:
        # a chunk that is not plain ends the fast path: the chunks not begun are dropped
        pool.shutdown(cancel_futures=True)
    # the file's pages are not needed again: keep the peak memory down
    if hasattr(mm, "madvise"):
        mm.madvise(mmap.MADV_DONTNEED)
    merged = merge(parts)
    if merged[3] >= 2**31:
        raise NotPlain  # weights up to 2**31 a line: beyond 2**31 lines a total could overflow
    return build_profile(election, merged, ncand, base, use_int, rules, name)


def _end_line(mm: Any, start: int, name: str) -> re.Match[bytes]:
    """The line ``0`` that ends the ballots.

    Searched for first in the file's last MB (the names and title follow it), which spares
    a scan of every ballot line: a bare ``0`` line further up fails the checks of
    :func:`_chunk`, so the file then goes to the careful reader all the same.
    """
    tail = max(start - 1, len(mm) - (1 << 20))
    m = _END.search(mm, tail)
    if m is None:
        first, lines = _first_maybe_end(mm, start - 1)
        if first is None:
            # no line anywhere that could end the ballots (even by the careful reader's
            # looser reading): refused now, not after reading every line of a 2 GB file
            raise BallotFileError(
                name,
                lines + 1,
                None,
                "the end of the file",
                "more ballots, then the end-of-ballots line '0' and the candidate names",
            )
        if tail > start - 1:
            # an end line can only be at or after the first line that might end the ballots
            m = _END.search(mm, first)
        if m is None:
            raise NotPlain
    return m


_SCAN = 1 << 24  # bytes looked at in one go by _first_maybe_end


def _first_maybe_end(mm: Any, begin: int) -> tuple[int | None, int]:
    """Where the first line from ``begin`` (a line end) that might end the ballots begins
    (a match of ``_MAYBE_END``), or None; and the number of line ends in the file before it.

    A regular expression tried at every line end takes half a minute over a 2 GB file with
    no end line.  A line that might end the ballots begins with a blank, a comma or a zero,
    so numpy looks for those after each line end, a stretch at a time, and the expression
    is tried only where one is found.
    """
    n = len(mm)
    lines = mm[:begin].count(b"\n")
    pos = begin
    dropped = 0
    while pos < n:
        hi = min(pos + _SCAN, n)
        a = np.frombuffer(mm[pos : min(hi + 1, n)], dtype=np.uint8)  # a copy: mm stays closable
        nxt = a[1:]
        starts = (a[: len(nxt)] == 10) & ((nxt == 48) | (nxt == 32) | (nxt == 9) | (nxt == 44))
        hits = np.flatnonzero(starts)
        if len(hits) > 1000:  # many lines of blanks or zeros: let the expression search
            m = _MAYBE_END.search(mm, pos + int(hits[0]), hi + (1 << 20))
            found = None if m is None or m.start() >= hi else m.start()
        else:
            found = next((pos + int(i) for i in hits if _MAYBE_END.match(mm, pos + int(i))), None)
        if found is not None:
            return found, lines + mm[pos:found].count(b"\n")
        lines += int(np.count_nonzero(a[: hi - pos] == 10))
        if hasattr(mm, "madvise"):  # the pages looked at are not needed again
            done = hi - hi % mmap.PAGESIZE
            if done > dropped:
                mm.madvise(mmap.MADV_DONTNEED, dropped, done - dropped)
                dropped = done
        pos = hi
    return None, lines


def _chunk(buf: bytes, ncand: int, base: int, use_int: bool) -> tuple[np.ndarray, np.ndarray]:
    """Keys and weights of the papers in whole ballot lines ``buf``, one per line."""
    if buf.translate(None, _PLAIN):
        raise NotPlain  # anything but digits and blanks
    arr = np.frombuffer(buf, dtype=np.uint8)
    if arr[-1] != 10:
        raise NotPlain
    nl = np.flatnonzero(arr == 10)
    last = nl - 1
    cr = arr[last] == 13
    if cr.any():
        last[cr] -= 1
    # every line ends with a blank and the terminating 0: nothing else may end a line
    if (last < 1).any() or not ((arr[last] == 48).all() and np.isin(arr[last - 1], (32, 9)).all()):
        raise NotPlain
    tok = _numbers(arr)
    zeros = np.flatnonzero(tok == 0)
    if len(zeros) != len(nl):
        raise NotPlain  # a 0 inside a line: a zero weight or candidate 0
    starts = np.empty_like(zeros)
    starts[0] = 0
    starts[1:] = zeros[:-1] + 1
    nprefs = zeros - starts - 1
    if (nprefs < 0).any():
        raise NotPlain
    w = tok[starts]
    if (w <= 0).any() or (w > 2**31).any():
        raise NotPlain  # weights beyond 2**31 a line: the careful reader's exact sums
    tok[starts] = 0
    if tok.max(initial=0) > ncand:
        raise NotPlain  # a candidate number out of range
    longest = int(nprefs.max(initial=0))
    if longest > ncand:
        raise NotPlain  # a repeated candidate, certainly
    # (a candidate repeated on a shorter paper is found on the unique rankings, in build_profile)
    if use_int:
        # the key: preferences as digits in base ncand + 1, first preference most significant
        key = np.zeros(len(starts), dtype=np.int64)
        for j in range(longest):
            sel = np.flatnonzero(nprefs > j)
            key[sel] += tok[starts[sel] + 1 + j] * base ** (ncand - 1 - j)
        return key, w
    mat = np.zeros((len(starts), ncand), dtype=np.uint8)
    for j in range(longest):
        sel = np.flatnonzero(nprefs > j)
        mat[sel, j] = tok[starts[sel] + 1 + j]
    return mat.view(np.dtype((np.void, ncand))).ravel(), w


def _numbers(arr: np.ndarray) -> np.ndarray:
    """The numbers in ``arr`` (digits and blanks, ending with a line end), in order."""
    digit = arr >= 48
    first = np.empty_like(digit)
    first[0] = digit[0]
    np.greater(digit[1:], digit[:-1], out=first[1:])
    at = np.flatnonzero(first)
    del first
    d = arr - np.uint8(48)  # a digit's value (blanks wrap round: masked out below)
    if not (digit[:-2] & digit[1:-1] & digit[2:]).any():
        # the usual file: no number of more than two digits; each number's value worked out
        # on the bytes (cheap: one byte each), then picked at its first digit
        two = digit[1:]
        val = d[:-1] * (np.uint8(1) + np.uint8(9) * two)
        val += d[1:] * two
        return val[at].astype(np.int64)
    # numbers of any length: each value built digit by digit from its first (the buffer ends
    # with a line end, so the byte after a number is always there)
    tok = d[at].astype(np.int64)
    sel = np.arange(len(at))
    for k in range(1, 18):
        sel = sel[digit[at[sel] + k]]  # the numbers with a digit more
        if not len(sel):
            return tok
        tok[sel] = tok[sel] * 10 + d[at[sel] + k]
    raise NotPlain  # a number of 18 digits or more: beyond what 64 bits hold safely
