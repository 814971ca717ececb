"""A fast path for big BLT files: the ballot section parsed with numpy, merged at read time.

:func:`read_blt_fast` gives exactly the profile :func:`~tallyroom.ballots.formats.blt.read_blt`
gives (same unique ballots in the same first-seen order, same weights, same invalid papers),
without a Python object per paper:

1. the ballot section is cut into 1 MB chunks, parsed by a few threads at once (numpy lets
   go of the GIL); numbers are valued on the bytes, and each paper becomes one integer key
   (its preferences as digits in base ``candidates + 1``) -- :func:`_chunk`;
2. each chunk merges its identical keys with one sort of keys that carry their line number
   in the low bits, so each ranking keeps the line it was first seen on -- :func:`_dedupe`;
3. the chunks are merged in two key ranges on two cores -- :func:`_merge`;
4. the unique rankings are put in first-seen order by a scatter and decoded straight into
   the preference matrix, in row blocks on a few threads -- :func:`_build`.

The profile carries that matrix (:attr:`Profile.arrays`), so the engines start counting
without rebuilding it; tuples are made only if something asks for them.

Only the plain dialect takes the fast path: ballot lines of whole numbers separated by
blanks, each ``weight prefs... 0`` on its own line, no repeated candidate on a paper.
Anything else (comments or ids among the ballots, ``=`` or ``-``, decimal weights, a
repeated preference, a bad candidate number, a missing end line ...) is handed to the careful
reader, which reads the whole file line by line and reports any error with its line and
column.  The header, withdrawn and option lines and the names are always read by the careful
reader.
"""

from __future__ import annotations

import contextvars
import io
import mmap
import os
import re
import sys
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, BinaryIO

import numpy as np

from tallyroom.ballots.model import BLANK, BallotRules, Profile
from tallyroom.errors import BallotFileError

_CHUNK = 1 << 20  # small enough for the CPU caches: numpy is much faster on them
_PARALLEL_PAPERS = 1 << 20  # papers from which the merge is shared between cores
_PARALLEL_ROWS = 1 << 18  # unique rankings from which decoding is shared between cores
_END = re.compile(rb"\n[ \t]*0[ \t]*\r?(\n|$)")
_PLAIN = b"0123456789 \t\r\n"
#: any line that begins with a zero (after blanks or commas): what might end the ballots
_MAYBE_END = re.compile(rb"\n[ \t,]*0+(?![0-9])")


#: a callback ``(bytes done, bytes in all)`` told as the ballot section is read (the CLI's
#: progress bar); a context variable, so that counts side by side do not share it
PROGRESS: contextvars.ContextVar[Any] = contextvars.ContextVar("fastblt_progress", default=None)


class _Slow(Exception):
    """The file is not in the plain dialect: read it carefully."""


def read_blt_fast(
    path: str | os.PathLike[str] | BinaryIO,
    rules: BallotRules = BallotRules(),
    *,
    source: str | None = None,
) -> Profile:
    """Read a BLT file, by the fast path when it is plain, else by the careful reader."""
    from tallyroom.ballots.formats.blt import read_blt_careful

    if hasattr(path, "read"):
        return read_blt_careful(path, rules, source=source)
    name = os.fspath(path)
    try:
        with open(name, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size == 0:
                raise _Slow
            with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
                return _fast(mm, source or name, rules)
    except (_Slow, OSError):
        return read_blt_careful(path, rules, source=source)


def keep_freed_memory() -> bool:
    """Ask glibc to keep freed memory in this process (Linux only); True if it was done.

    For programs that own their process and read big files: the ``tallyroom`` command calls
    it before reading one.  The fast reader makes many short-lived arrays of a few MB; by
    default glibc gives each one fresh pages from the kernel and hands them back when it is
    freed, so every array pays for page faults again (a third of the reading time of a
    ten-million-paper file on a small machine).  With this, blocks up to 32 MB come from
    the heap and the heap is trimmed only past 1 GB free.  It is the tuning Dask's
    documentation gives for its workers (``MALLOC_TRIM_THRESHOLD_``).  It lasts for the
    life of the process, so a library never does it behind its caller's back; and it is
    left alone when ``MALLOC_TRIM_THRESHOLD_`` or ``MALLOC_MMAP_THRESHOLD_`` is set.
    """
    if any(k in os.environ for k in ("MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_")):
        return False
    libc = _glibc()
    if libc is None:
        return False
    ok = libc.mallopt(_M_MMAP_THRESHOLD, 32 << 20)  # glibc's own upper bound for it
    return bool(ok and libc.mallopt(_M_TRIM_THRESHOLD, 1 << 30))


_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # from glibc's malloc.h


def _glibc() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        libc = ctypes.CDLL(None)
        libc.gnu_get_libc_version  # noqa: B018  # glibc, not musl
        return libc
    except (OSError, AttributeError):
        return None


def _head_end(mm: Any) -> int:
    """Offset of the first ballot line (after the header, withdrawn and option lines)."""
    pos, first = 0, True
    n = len(mm)
    while pos < n:
        end = mm.find(b"\n", pos, pos + (1 << 20))
        if end < 0:
            raise _Slow  # no line end in sight: the careful reader says why
        line = mm[pos:end].strip()
        if line and not line.startswith(b"#"):
            if first:
                if b"," in line:
                    raise _Slow  # the comma dialect
                first = False
            elif line[:1].isdigit():
                return pos
            elif not line.startswith((b"-", b"[")):
                raise _Slow  # ballot ids and the like
        pos = end + 1
        if pos > 1 << 20:
            raise _Slow
    raise _Slow


def _fast(mm: Any, name: str, rules: BallotRules) -> Profile:
    from tallyroom.ballots.formats.blt import _read

    start = _head_end(mm)
    m = _end_line(mm, start, name)
    stop = m.start() + 1  # the end line starts here
    if stop <= start:
        raise _Slow  # no ballots at all
    # the election (names, withdrawn, ties) from the file without its ballots
    skeleton = mm[:start] + mm[stop:]
    try:
        head = _read(io.BytesIO(skeleton), name, rules)
    except BallotFileError:
        raise _Slow from None  # the careful reader gives the error its true line number
    if head.ballots or head.invalid:
        raise _Slow
    election = head.election
    ncand = len(election.candidates)
    if ncand > 255:
        raise _Slow
    base = ncand + 1
    use_int = base**ncand < 2**62

    bounds: list[tuple[int, int]] = []
    pos = start
    while pos < stop:
        end = min(pos + _CHUNK, stop)
        if end < stop:
            end = mm.rfind(b"\n", pos, end) + 1
            if end <= pos:
                raise _Slow
        bounds.append((pos, end))
        pos = end
    progress = PROGRESS.get()

    def one(b: tuple[int, int]) -> _Part:
        key, w = _chunk(mm[b[0] : b[1]], ncand, base, use_int)
        return _dedupe(key, w, ncand, base, use_int)

    parts: list[_Part] = []
    # numpy lets go of the GIL in its loops: chunks are parsed by a few threads at once
    pool = ThreadPoolExecutor(max_workers=_threads())
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
    merged = _merge(parts)
    if merged[3] >= 2**31:
        raise _Slow  # weights up to 2**31 a line: beyond 2**31 lines a total could overflow
    return _build(election, merged, ncand, base, use_int, rules, name)


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
            raise _Slow
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


def _threads() -> int:
    return max(1, min(os.cpu_count() or 1, 4))


#: the papers of one stretch of ballot lines, merged: unique keys (ascending), the line of
#: each key's first paper (counted from the stretch's start), their total weights, and the
#: number of lines in the stretch
_Part = tuple[np.ndarray, np.ndarray, np.ndarray, int]


def _chunk(buf: bytes, ncand: int, base: int, use_int: bool) -> tuple[np.ndarray, np.ndarray]:
    """Keys and weights of the papers in whole ballot lines ``buf``, one per line."""
    if buf.translate(None, _PLAIN):
        raise _Slow  # anything but digits and blanks
    arr = np.frombuffer(buf, dtype=np.uint8)
    if arr[-1] != 10:
        raise _Slow
    nl = np.flatnonzero(arr == 10)
    last = nl - 1
    cr = arr[last] == 13
    if cr.any():
        last[cr] -= 1
    # every line ends with a blank and the terminating 0: nothing else may end a line
    if (last < 1).any() or not ((arr[last] == 48).all() and np.isin(arr[last - 1], (32, 9)).all()):
        raise _Slow
    tok = _numbers(arr)
    zeros = np.flatnonzero(tok == 0)
    if len(zeros) != len(nl):
        raise _Slow  # a 0 inside a line: a zero weight or candidate 0
    starts = np.empty_like(zeros)
    starts[0] = 0
    starts[1:] = zeros[:-1] + 1
    nprefs = zeros - starts - 1
    if (nprefs < 0).any():
        raise _Slow
    w = tok[starts]
    if (w <= 0).any() or (w > 2**31).any():
        raise _Slow  # weights beyond 2**31 a line: the careful reader's exact sums
    tok[starts] = 0
    if tok.max(initial=0) > ncand:
        raise _Slow  # a candidate number out of range
    longest = int(nprefs.max(initial=0))
    if longest > ncand:
        raise _Slow  # a repeated candidate, certainly
    # (a candidate repeated on a shorter paper is found on the unique rankings, in _build)
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
    raise _Slow  # a number of 18 digits or more: beyond what 64 bits hold safely


def _dedupe(key: np.ndarray, weight: np.ndarray, ncand: int, base: int, use_int: bool) -> _Part:
    """Merge identical keys: the unique keys, ascending, with their first line and weight."""
    n = len(key)
    if not use_int:
        uniq, first, tot = _unique_bytes(key, np.arange(n), weight)
        return uniq, first, tot, n
    if n == 0:
        return key, np.zeros(0, np.int64), np.zeros(0, np.int64), 0
    bits = n.bit_length()
    if (base**ncand) << bits < 2**63:
        # the line number packed under the key: a plain sort (much quicker than an argsort)
        # orders by key, and equal keys by line, so each run starts with its first paper
        packed = (key << bits) | np.arange(n, dtype=np.int64)
        packed.sort()
        order = packed & ((1 << bits) - 1)
        packed >>= bits
        sk = packed
    else:
        order = np.argsort(key, kind="stable")
        sk = key[order]
    runs = _runs(sk)
    if weight.min() == 1 and weight.max() == 1:
        tot = np.diff(np.append(runs, n))  # papers of weight 1: run lengths
    else:
        tot = np.add.reduceat(weight[order], runs)
    return sk[runs], order[runs], tot, n


def _merge(parts: Sequence[_Part]) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """The parts of consecutive stretches merged into one: keys, first lines, weights."""
    lines = 0
    shifted: list[_Part] = []
    for key, first, tot, n in parts:
        shifted.append((key, first + lines, tot, n))
        lines += n
    if len(parts) == 1:
        key, first, tot, _ = shifted[0]
        return key, first, tot, lines
    if parts[0][0].dtype.kind == "V" or _threads() < 2 or lines < _PARALLEL_PAPERS:
        key, first, tot = _merge_range(shifted)
        return key, first, tot, lines
    # two ranges of keys, split at a pivot, merged at once on two cores; the keys of the
    # first range are all below those of the second, so the results simply follow
    sample = np.concatenate([p[0][:: max(1, len(p[0]) // 64)] for p in shifted])
    pivot = np.sort(sample)[len(sample) // 2]
    cut = [int(np.searchsorted(p[0], pivot, side="right")) for p in shifted]
    low = [(k[:c], f[:c], t[:c], n) for (k, f, t, n), c in zip(shifted, cut)]
    high = [(k[c:], f[c:], t[c:], n) for (k, f, t, n), c in zip(shifted, cut)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        a, b = pool.map(_merge_range, (low, high))
    key, first, tot = (np.concatenate((x, y)) for x, y in zip(a, b))
    return key, first, tot, lines


def _merge_range(parts: Sequence[_Part]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Merge parts whose first lines are already counted from the file's first ballot."""
    key = np.concatenate([p[0] for p in parts])
    first = np.concatenate([p[1] for p in parts])
    tot = np.concatenate([p[2] for p in parts])
    if len(key) == 0:
        return key, first, tot
    if key.dtype.kind == "V":
        return _unique_bytes(key, first, tot)
    # each part is ascending already: a stable sort merges the runs, and keeps equal keys
    # in file order, so the first of each run is where the ranking was first seen
    order = np.argsort(key, kind="stable")
    sk = key[order]
    runs = _runs(sk)
    return sk[runs], first[order[runs]], np.add.reduceat(tot[order], runs)


def _runs(sk: np.ndarray) -> np.ndarray:
    """Where each run of equal values starts in the sorted, non-empty ``sk``."""
    flag = np.empty(len(sk), dtype=bool)
    flag[0] = True
    np.not_equal(sk[1:], sk[:-1], out=flag[1:])
    return np.flatnonzero(flag)


def _unique_bytes(
    key: np.ndarray, first: np.ndarray, tot: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Byte-string keys merged: unique keys (ascending), each one's first ``first`` (the
    keys are in file order) and summed ``tot``."""
    uniq, idx, inv = np.unique(key, return_index=True, return_inverse=True)
    total = np.zeros(len(uniq), dtype=np.int64)
    np.add.at(total, inv.ravel(), tot)
    return uniq, first[idx], total


def _first_seen(first: np.ndarray, lines: int) -> np.ndarray:
    """The order that puts the unique rankings as first seen in the file.

    The first lines are distinct, so a scatter into one slot per line puts them in order
    without a sort."""
    nu = len(first)
    kind: Any = np.int32 if nu < 2**31 else np.int64
    slots: Any = np.full(lines, -1, dtype=kind)
    slots[first] = np.arange(nu, dtype=kind)
    return slots[slots >= 0]


def _build(
    election: Any,
    merged: tuple[np.ndarray, np.ndarray, np.ndarray, int],
    ncand: int,
    base: int,
    use_int: bool,
    rules: BallotRules,
    name: str,
) -> Profile:
    uniq, first, tot, lines = merged
    order = _first_seen(first, lines)
    uniq = uniq[order]
    tot = tot[order]
    del order
    invalid: dict[str, int] = {}
    blank = uniq == 0 if use_int else ~uniq.view(np.uint8).reshape(-1, ncand).any(axis=1)
    if blank.any():
        invalid[BLANK] = int(tot[blank].sum())
        keep = ~blank
        uniq, tot = uniq[keep], tot[keep]
    del blank
    nu = len(uniq)
    prefs = np.empty((nu, ncand + 1), dtype=np.int32)
    prefs[:, ncand] = -1
    lengths = np.zeros(nu, dtype=np.int64)
    # rows in a few blocks decoded at once (numpy lets go of the GIL in its loops)
    blocks = _threads() if nu >= _PARALLEL_ROWS else 1
    cuts = [nu * i // blocks for i in range(blocks + 1)]

    rows = [slice(cuts[i], cuts[i + 1]) for i in range(blocks)]
    with ThreadPoolExecutor(max_workers=blocks) as pool:
        jobs = [
            pool.submit(_decode, uniq[r], prefs[r], lengths[r], ncand, base, use_int) for r in rows
        ]
        for job in jobs:
            job.result()  # a repeated candidate in any block: to the careful reader
    del uniq
    longest = int(lengths.max(initial=0))
    if longest < ncand:  # the columns after the longest paper are all -1
        prefs = np.ascontiguousarray(prefs[:, : longest + 1])
    ballots = ArrayBallots(prefs, lengths)
    return Profile(
        election=election,
        ballots=ballots,  # type: ignore[arg-type]  # behaves as the tuple
        weights=tuple(tot.tolist()),
        invalid=invalid,
        rules=rules,
        source=name,
        arrays=(prefs, tot),
    )


def _decode(
    uniq: np.ndarray, prefs: np.ndarray, lengths: np.ndarray, ncand: int, base: int, use_int: bool
) -> None:
    """Keys back to preferences (into ``prefs`` and ``lengths``), a column at a time.

    A candidate met twice on a paper (its bit already set) sends the file to the careful
    reader: the ballot rules decide what such a paper means."""
    word: Any = np.int32 if ncand < 31 else np.int64
    seen: Any = np.zeros(len(uniq), dtype=word)
    for j, digit in _digits(uniq, ncand, base, use_int):
        if ncand < 63:
            b = np.left_shift(word(1), digit.astype(word, copy=False))  # bit 0: no one
            if ((seen & b) > 1).any():
                raise _Slow
            seen |= b
        lengths += digit > 0
        np.subtract(digit, 1, out=prefs[:, j], dtype=np.int32, casting="unsafe")
    if ncand >= 63:
        s = np.sort(prefs[:, :ncand], axis=1)
        if ((s[:, 1:] == s[:, :-1]) & (s[:, 1:] >= 0)).any():
            raise _Slow


def _digits(uniq: np.ndarray, ncand: int, base: int, use_int: bool) -> Iterator[tuple[int, Any]]:
    """``(column, candidate numbers in it)`` for every column of the keys (0: none)."""
    if not use_int:
        mat = uniq.view(np.uint8).reshape(-1, ncand)
        for j in range(ncand):
            yield j, mat[:, j]
        return
    # by 32-bit division (much quicker than 64-bit): the key split in two halves, each
    # below base ** (ncand - half); when that passes 2**31 (15 candidates), 64-bit after all
    half = ncand // 2
    hi, lo = np.divmod(uniq, np.int64(base) ** (ncand - half))
    word: Any = np.int32 if base ** (ncand - half) <= 2**31 else np.int64
    for part, cols in (
        (lo.astype(word), range(ncand - 1, half - 1, -1)),
        (hi.astype(word), range(half - 1, -1, -1)),
    ):
        for j in cols:
            q = part // base
            yield j, part - q * base
            part = q


class ArrayBallots(Sequence[tuple[int, ...]]):
    """The unique rankings of a profile, held as arrays; tuples made on first use.

    Behaves as the tuple of tuples the careful reader gives (equal to it, same hash, same
    items); engines that read :attr:`Profile.arrays` never pay for the tuples.
    """

    __slots__ = ("_prefs", "_lengths", "_tuple")

    def __init__(self, prefs: np.ndarray, lengths: np.ndarray) -> None:
        self._prefs: np.ndarray | None = prefs
        self._lengths: np.ndarray | None = lengths
        self._tuple: tuple[tuple[int, ...], ...] | None = None

    def _t(self) -> tuple[tuple[int, ...], ...]:
        if self._tuple is None:
            assert self._prefs is not None and self._lengths is not None
            self._tuple = _tuples(self._prefs, self._lengths)
            self._prefs = self._lengths = None
        return self._tuple

    def __len__(self) -> int:
        return len(self._lengths) if self._lengths is not None else len(self._t())

    def __getitem__(self, i: Any) -> Any:
        return self._t()[i]

    def __iter__(self) -> Iterator[tuple[int, ...]]:
        return iter(self._t())

    def __contains__(self, item: object) -> bool:
        return item in self._t()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ArrayBallots):
            other = other._t()
        return self._t() == other

    def __hash__(self) -> int:
        return hash(self._t())

    def __add__(self, other: Any) -> Any:
        return self._t() + tuple(other)

    def __radd__(self, other: Any) -> Any:
        return tuple(other) + self._t()

    def __repr__(self) -> str:
        return repr(self._t())

    def __reduce__(self) -> Any:
        return (tuple, (self._t(),))


def _tuples(prefs: np.ndarray, lengths: np.ndarray) -> tuple[tuple[int, ...], ...]:
    """The ranking of each row as a tuple of candidate indices (the -1 padding dropped)."""
    out: list[Any] = [None] * len(prefs)
    for n in np.unique(lengths).tolist():
        idx = np.flatnonzero(lengths == n)
        rows = map(tuple, prefs[idx, :n].tolist())
        for i, t in zip(idx.tolist(), rows):
            out[i] = t
    return tuple(out)
