"""A fast path for big BLT files: the ballot section parsed with numpy, merged at read time.

:func:`read_blt_fast` gives exactly the profile :func:`~tallyroom.ballots.formats.blt.read_blt`
gives (same unique ballots in the same first-seen order, same weights, same invalid papers),
without a Python object per paper: the ballot lines are tokenised in chunks of a few MB,
each paper becomes one integer key (its preferences as digits in base ``candidates + 1``),
identical keys are merged with a sort, and only the *unique* rankings become tuples.  The
profile also carries them as arrays (:attr:`Profile.arrays`), so the STV engines start
counting without rebuilding them.

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
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, BinaryIO

import numpy as np

from tallyroom.ballots.model import BLANK, BallotRules, Profile
from tallyroom.errors import BallotFileError

#: files at least this big go to the fast path from :func:`read_blt`
FAST_BYTES = 64 << 10  # below this the careful reader is as quick
_CHUNK = 1 << 20  # small enough for the CPU caches: numpy is much faster on them
_END = re.compile(rb"\n[ \t]*0[ \t]*\r?(\n|$)")
_PLAIN = b"0123456789 \t\r\n"
_AS_ONES = bytes.maketrans(b"0123456789", b"1111111111")
_HUGE = b"1" * 18  # 18 digits in a row


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
    m = _END.search(mm, start - 1)
    if m is None:
        raise _Slow
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

    keys: list[np.ndarray] = []
    weights: list[np.ndarray | int] = []
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

    def one(b: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        return _chunk(mm[b[0] : b[1]], ncand, base, use_int)

    # numpy lets go of the GIL in its loops: chunks are parsed by a few threads at once
    with ThreadPoolExecutor(max_workers=_threads()) as pool:
        for (_, end), (k, w) in zip(bounds, pool.map(one, bounds)):
            keys.append(k)
            weights.append(w if (w != 1).any() else len(w))
            if progress is not None:
                progress(end - start, stop - start)
    # the file's pages are not needed again: keep the peak memory down
    if hasattr(mm, "madvise"):
        mm.madvise(mmap.MADV_DONTNEED)
    key = np.concatenate(keys)
    if all(isinstance(w, int) for w in weights):
        weight = np.ones(1, dtype=np.int64)  # every paper of weight 1
        weight = np.broadcast_to(weight, key.shape)
    else:
        weight = np.concatenate(
            [np.ones(w, dtype=np.int64) if isinstance(w, int) else w for w in weights]
        )
    del keys, weights
    return _profile(election, key, weight, ncand, base, use_int, rules, name)


def _threads() -> int:
    return max(1, min(os.cpu_count() or 1, 4))


def _argsort(key: np.ndarray) -> np.ndarray:
    """An order that sorts ``key``; on several cores the two halves (split at a pivot, so
    equal keys stay on one side) are sorted at once."""
    if len(key) < 1 << 20 or _threads() < 2:
        return np.argsort(key)
    sample = np.sort(key[:: max(1, len(key) // 4001)])
    pivot = sample[len(sample) // 2]
    parts = [np.flatnonzero(key <= pivot), np.flatnonzero(key > pivot)]

    def sort(idx: np.ndarray) -> np.ndarray:
        return idx[np.argsort(key[idx])]

    with ThreadPoolExecutor(max_workers=2) as pool:
        done = list(pool.map(sort, parts))
    return np.concatenate(done)


def _chunk(buf: bytes, ncand: int, base: int, use_int: bool) -> tuple[np.ndarray, np.ndarray]:
    """Keys and weights of the papers in whole ballot lines ``buf``."""
    if buf.translate(None, _PLAIN):
        raise _Slow  # anything but digits and blanks
    if _HUGE in buf.translate(_AS_ONES):
        raise _Slow  # a number beyond 64 bits
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
    tok = np.fromstring(buf, dtype=np.int64, sep=" ")  # type: ignore[call-overload]
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
    tok[starts] = 0
    if tok.max(initial=0) > ncand:
        raise _Slow  # a candidate number out of range
    if (w <= 0).any():
        raise _Slow
    longest = int(nprefs.max(initial=0))
    if longest > ncand:
        raise _Slow  # a repeated candidate, certainly
    if use_int:
        # per token: its line and its column among the preferences (-1: the weight)
        line = np.zeros(len(tok), dtype=np.int64)
        line[starts[1:]] = 1
        np.cumsum(line, out=line)
        col = np.arange(len(tok), dtype=np.int64)
        col -= starts[line]
        del line
        # a repeated candidate on a paper: the ballot rules decide, so read carefully
        bits = np.left_shift(1, np.maximum(tok - 1, 0))
        bits[tok == 0] = 0
        if (np.bitwise_or.reduceat(bits, starts) != np.add.reduceat(bits, starts)).any():
            raise _Slow
        del bits
        # the key: preferences as digits in base ncand + 1, first preference most significant
        power = base ** np.arange(ncand, -1, -1, dtype=np.int64)
        power[0] = 0  # the weight's column
        tok *= power[np.minimum(col, ncand)]
        return np.add.reduceat(tok, starts), w
    rows = len(starts)
    mat = np.zeros((rows, ncand), dtype=np.uint8)
    for j in range(longest):
        sel = np.flatnonzero(nprefs > j)
        mat[sel, j] = tok[starts[sel] + 1 + j]
    s = np.sort(mat, axis=1)
    if ((s[:, 1:] == s[:, :-1]) & (s[:, 1:] > 0)).any():
        raise _Slow
    key = np.ascontiguousarray(mat).view(np.dtype((np.void, ncand))).ravel()
    return key, w


def _profile(
    election: Any,
    key: np.ndarray,
    weight: np.ndarray,
    ncand: int,
    base: int,
    use_int: bool,
    rules: BallotRules,
    name: str,
) -> Profile:
    if use_int and len(key):
        # sort once; each run of equal keys is one ranking, first seen at its least index
        order = _argsort(key)
        sk = key[order]
        flag = np.empty(len(sk), dtype=bool)
        flag[0] = True
        np.not_equal(sk[1:], sk[:-1], out=flag[1:])
        runs = np.flatnonzero(flag)
        del flag
        uniq = sk[runs]
        del sk
        first = np.minimum.reduceat(order, runs)
        if weight.strides == (0,) and len(weight) and weight[0] == 1:
            tot = np.diff(np.append(runs, len(key)))  # papers of weight 1: run lengths
        else:
            tot = np.add.reduceat(weight[order], runs)
        del order
    else:
        uniq, first, inv = np.unique(key, return_index=True, return_inverse=True)
        tot = np.zeros(len(uniq), dtype=np.int64)
        np.add.at(tot, inv.ravel(), weight)
        del inv
    nu = len(uniq)
    if len(weight) and int(weight.max()) * len(weight) >= 2**62:
        if int(weight.sum(dtype=object)) != int(tot.sum(dtype=object)):
            raise _Slow  # weights beyond 64 bits
    # first-seen order, as the careful reader: the first indices are distinct, so a scatter
    # into the papers' positions puts them in order without a sort
    slots = np.full(len(key), -1, dtype=np.int64)
    slots[first] = np.arange(nu)
    order = slots[slots >= 0]
    del slots
    uniq = uniq[order]
    tot = tot[order]
    # back from keys to preferences
    if use_int:
        mat = np.zeros((nu, ncand), dtype=np.int32)
        # digits by 32-bit division (much quicker than 64-bit): the key split in two halves
        half = ncand // 2
        hi, lo = np.divmod(uniq, np.int64(base) ** (ncand - half))
        for part, cols in (
            (lo.astype(np.int32), range(ncand - 1, half - 1, -1)),
            (hi.astype(np.int32), range(half - 1, -1, -1)),
        ):
            for j in cols:
                q = part // base
                mat[:, j] = part - q * base
                part = q
    else:
        mat = uniq.view(np.uint8).reshape(nu, ncand).astype(np.int32)
    lengths = (mat > 0).sum(axis=1)
    invalid: dict[str, int] = {}
    blank = lengths == 0
    if blank.any():
        invalid[BLANK] = int(tot[blank].sum())
        keep = ~blank
        mat, tot, lengths = mat[keep], tot[keep], lengths[keep]
    longest = int(lengths.max(initial=0))
    prefs = np.full((len(mat), longest + 1), -1, dtype=np.int32)
    prefs[:, :longest] = mat[:, :longest] - 1
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
