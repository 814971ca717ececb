"""The ``.stv`` ballot format of STV.pm (read by votelib; OpenSTV-era tools).  Read only.

::

    title=Example Election          # '#' starts a comment
    method=BC                       counting options: not ballot data, not read
    seats=2
    candidate=a Amy Adams           candidate=<code> <name>
    withdrawn=b Bob Brown           a withdrawn candidate, defined the same way
    ballots=4                       the number of ballot lines that follow
    31X a e c d                     <count>X (optional), then codes, first preference first
    b a
    end

With an ``order=<codes>`` line before ``ballots=``, ballots are *ordered*: one column per
code in that order, holding the rank given to that candidate or ``-``::

    order=gb mg ht
    1 - 2                           gb first, ht second

Two candidates with the same rank number in an ordered ballot are an overvote, handled
by the :class:`BallotRules` as the paper is read; a missing rank number is a skipped rank.

``ballots=blt`` means the rest of the file is a BLT file (``method=blt`` files): it is read
by the BLT reader, with line numbers counted from the top of the ``.stv`` file.

Counts before ``X`` may be whole numbers, decimals (``2.5X``) or ratios (``1/3X``).  The
``ballots=`` number counts ballot *lines*; a file whose lines do not match it, or with no
``end``, is refused as cut short.  Seats default to 1 when the file has no ``seats=``.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from fractions import Fraction
from typing import TYPE_CHECKING, BinaryIO

from tallyroom.ballots.formats.blt import read_blt
from tallyroom.ballots.formats.textio import (
    check_name,
    first_content_line,
    lines,
    open_binary,
    shown,
)
from tallyroom.ballots.model import (
    BallotRules,
    Candidate,
    Election,
    Preference,
    Profile,
    Weight,
)
from tallyroom.errors import BallotFileError, ElectionError

if TYPE_CHECKING:
    from tallyroom.ballots.formats import ReadOptions, Source

_KEY = re.compile(r"([A-Za-z_]+)\s*=\s*(.*)$")
_MULTIPLIER = re.compile(r"([0-9]+(?:\.[0-9]+)?|[0-9]+/[0-9]+)[xX]")
#: a token that looks like a multiplier but is not a valid one.  Written with a lookahead,
#: not as ``[0-9./,]*[0-9][0-9./,]*``: the two stars backtrack against each other, and a
#: 50 KB token of digits and dots took seconds (quadratic); this is linear
_BAD_MULTIPLIER = re.compile(r"[-+]?(?=[0-9./,]*[0-9])[0-9./,]*[xX]")
_TOKEN = re.compile(r"\S+")
_INT = re.compile(r"[0-9]+")
#: header keys that concern the count, not the ballots: passed over
COUNT_OPTIONS = frozenset({"method", "quota", "random", "threshold", "tiebreak", "precision"})


def read_stv(
    path: str | os.PathLike[str] | BinaryIO,
    rules: BallotRules = BallotRules(),
    *,
    seats: int | None = None,
    source: str | None = None,
) -> Profile:
    """Read an STV.pm ``.stv`` file; ``seats`` overrides the file's ``seats=``."""
    stream, name = open_binary(path)
    name = source or name
    try:
        buffered: BinaryIO = (
            stream if isinstance(stream, io.BufferedIOBase) else io.BufferedReader(stream)  # type: ignore[type-var,arg-type]
        )
        return _Reader(buffered, name, rules).read(seats)
    finally:
        if not hasattr(path, "read"):
            stream.close()


def _content(text: str) -> str:
    i = text.find("#")
    return (text if i < 0 else text[:i]).strip()


class _Reader:
    def __init__(self, stream: BinaryIO, name: str, rules: BallotRules) -> None:
        self.stream = stream
        self.name = name
        self.rules = rules
        self.it: Iterator[tuple[int, str]] = lines(stream, name)
        self.last = 0

    def fail(self, line: int | None, col: int | None, found: str, expected: str) -> BallotFileError:
        return BallotFileError(self.name, line, col, found, expected)

    def read(self, seats_override: int | None) -> Profile:
        title = ""
        seats: int | None = None
        names: list[str] = []
        name_keys: dict[str, str] = {}
        codes: dict[str, int] = {}
        withdrawn: set[int] = set()
        order: list[int] | None = None
        declared: int | None = None
        declared_line = 0
        seen_any = False
        for lineno, text in self.it:
            self.last = lineno
            content = _content(text)
            if not content:
                continue
            seen_any = True
            m = _KEY.match(content)
            if m is None:
                raise self.fail(
                    lineno,
                    1,
                    shown(content),
                    "a header line key=value (title=, seats=, candidate=, ballots=)",
                )
            key, value = m.group(1).lower(), m.group(2).strip()
            col = m.start(2) + 1 + (len(text) - len(text.lstrip()))
            if key == "title":
                title = value
            elif key == "seats":
                if not _INT.fullmatch(value) or int(value) < 1:
                    raise self.fail(lineno, col, shown(value), "a number of seats, at least 1")
                seats = int(value)
            elif key in ("candidate", "withdrawn"):
                parts = value.split(None, 1)
                if not parts:
                    raise self.fail(lineno, col, "nothing", f"{key}=<code> <name>")
                code = parts[0]
                if key == "withdrawn" and code in codes and len(parts) == 1:
                    withdrawn.add(codes[code])
                    continue
                if code in codes:
                    raise self.fail(
                        lineno,
                        col,
                        f"the code {code!r} a second time",
                        "a different code for each candidate",
                    )
                nm = parts[1].strip() if len(parts) > 1 else code
                if nm in names:
                    raise self.fail(
                        lineno,
                        col,
                        f"the name {nm!r} a second time",
                        "a different name for each candidate",
                    )
                check_name(nm, name_keys, self.name, lineno, col)
                codes[code] = len(names)
                names.append(nm)
                if key == "withdrawn":
                    withdrawn.add(codes[code])
            elif key == "order":
                order = []
                for tm in _TOKEN.finditer(value):
                    if tm.group() not in codes:
                        raise self.fail(
                            lineno,
                            col + tm.start(),
                            f"the code {tm.group()!r}",
                            "a code from the candidate= lines",
                        )
                    order.append(codes[tm.group()])
                if len(set(order)) != len(order):
                    raise self.fail(lineno, col, "a code twice in order=", "each candidate once")
            elif key == "ballots":
                if value.lower() == "blt":
                    return self._blt(lineno, title, seats_override)
                if not _INT.fullmatch(value):
                    raise self.fail(
                        lineno, col, shown(value), "ballots=<number of ballot lines> or ballots=blt"
                    )
                declared, declared_line = int(value), lineno
                break
            elif key in COUNT_OPTIONS:
                continue  # how to count, not what was voted
            else:
                raise self.fail(
                    lineno,
                    1,
                    f"the key {key!r}",
                    "title, seats, candidate, withdrawn, order, ballots, method, quota or random",
                )
        if not seen_any:
            raise self.fail(
                None,
                None,
                "an empty file",
                "an STV.pm ballot file (title=, candidate=, ballots=, end)",
            )
        if declared is None:
            raise self.fail(
                self.last + 1, None, "the end of the file", "a ballots= line and the ballots"
            )
        if not names:
            raise self.fail(
                declared_line,
                1,
                "ballots before any candidate",
                "candidate=<code> <name> lines first",
            )
        raw = self._ballots(codes, order, declared, declared_line, len(names))
        seats = seats_override if seats_override is not None else seats or 1
        if seats > len(names):
            if seats_override is not None:
                raise ElectionError(
                    f"{self.name}: {seats} seats for {len(names)} candidates; "
                    "there cannot be more seats than candidates"
                )
            raise self.fail(
                None,
                None,
                f"{seats} seats for {len(names)} candidates",
                "no more seats than candidates",
            )
        election = Election(
            candidates=tuple(Candidate(n) for n in names),
            seats=seats,
            withdrawn=frozenset(withdrawn),
            title=title,
        )
        # an equal rank number in an ordered ballot is an overvote
        return Profile.from_marks(election, raw, self.rules, source=self.name)

    def _ballots(
        self,
        codes: dict[str, int],
        order: list[int] | None,
        declared: int,
        declared_line: int,
        n: int,
    ) -> dict[tuple, Weight]:
        raw: dict[tuple, Weight] = {}
        count = 0
        for lineno, text in self.it:
            self.last = lineno
            content = _content(text)
            if not content:
                continue
            if content.lower() == "end":
                if count != declared:
                    raise self.fail(
                        lineno,
                        1,
                        f"'end' after {count} ballot line{'s' if count != 1 else ''}",
                        f"{declared} ballot lines, as ballots= on line {declared_line} says",
                    )
                for lineno2, text2 in self.it:
                    if _content(text2):
                        raise self.fail(lineno2, 1, shown(_content(text2)), "nothing after 'end'")
                return raw
            toks = [(tm.start() + 1, tm.group()) for tm in _TOKEN.finditer(text.split("#", 1)[0])]
            weight: Weight = 1
            mm = _MULTIPLIER.fullmatch(toks[0][1])
            if mm:
                if re.fullmatch(r"[0-9]+/0+", mm.group(1)):
                    raise self.fail(
                        lineno,
                        toks[0][0],
                        f"a ratio over 0 {shown(toks[0][1])}",
                        "a count such as 3X or 1/3X before the ballot",
                    )
                f = Fraction(mm.group(1))
                if f == 0:
                    raise self.fail(
                        lineno, toks[0][0], "a count of 0", "a count of at least 1 before X"
                    )
                weight = int(f) if f.denominator == 1 else f
                toks = toks[1:]
            elif _BAD_MULTIPLIER.fullmatch(toks[0][1]) and toks[0][1] not in codes:
                tok = toks[0][1]
                found = f"a negative count {shown(tok)}" if tok.startswith("-") else shown(tok)
                raise self.fail(lineno, toks[0][0], found, "a count such as 3X before the ballot")
            if order is None:
                marks: list[Preference | None] = []
                for col, tok in toks:
                    if tok not in codes:
                        raise self.fail(
                            lineno, col, f"the code {tok!r}", "a candidate code: " + " ".join(codes)
                        )
                    marks.append(codes[tok])
            else:
                marks = self._ordered(toks, order, lineno)
            key = tuple(marks)
            raw[key] = raw.get(key, 0) + weight
            count += 1
        raise self.fail(
            self.last + 1,
            None,
            "the end of the file",
            f"'end' after the {declared} ballot lines (is the file cut short?)",
        )

    def _ordered(
        self, toks: list[tuple[int, str]], order: list[int], lineno: int
    ) -> list[Preference | None]:
        if len(toks) != len(order):
            raise self.fail(
                lineno,
                toks[-1][0] if toks else 1,
                f"{len(toks)} columns",
                f"{len(order)} columns, one per candidate in order=",
            )
        by_rank: dict[int, list[int]] = {}
        for (col, tok), cand in zip(toks, order):
            if tok == "-":
                continue
            if not _INT.fullmatch(tok) or int(tok) < 1:
                raise self.fail(lineno, col, shown(tok), "a rank number (1, 2, ...) or '-'")
            r = int(tok)
            if r > len(order):
                raise self.fail(lineno, col, f"rank {r}", f"a rank from 1 to {len(order)}")
            by_rank.setdefault(r, []).append(cand)
        top = max(by_rank, default=0)
        marks: list[Preference | None] = []
        for r in range(1, top + 1):
            got = by_rank.get(r)
            marks.append(None if not got else got[0] if len(got) == 1 else tuple(got))
        return marks

    def _blt(self, lineno: int, title: str, seats_override: int | None) -> Profile:
        """The rest of the stream is a BLT file; its line numbers are shifted to this file's."""
        try:
            profile = read_blt(self.stream, self.rules, source=self.name)
        except BallotFileError as e:
            raise BallotFileError(
                e.path,
                e.line + lineno if e.line is not None else None,
                e.column,
                e.found,
                e.expected,
            ) from None
        except (IndexError, ValueError, KeyError, TypeError, ZeroDivisionError) as e:
            # the BLT reader failed without saying where: still one line, naming the file
            raise BallotFileError(
                self.name,
                None,
                None,
                f"a BLT part the BLT reader failed on ({type(e).__name__}: {e})",
                "a well-formed BLT file after ballots=blt",
            ) from e
        el = profile.election
        if title and not el.title:
            profile = profile.with_election(
                Election(el.candidates, el.seats, el.withdrawn, title, el.tie_order)
            )
        if seats_override is not None:
            if seats_override > len(el.candidates):
                raise ElectionError(
                    f"{self.name}: {seats_override} seats for {len(el.candidates)} candidates; "
                    "there cannot be more seats than candidates"
                )
            profile = profile.with_election(profile.election.with_changes(seats=seats_override))
        return profile


# -- the registry's entry (tallyroom.ballots.formats) ------------------------------------------
_SNIFF_KEY = re.compile(r"[A-Za-z_]+\s*=")


def sniff(head: bytes) -> bool:
    """An STV.pm file: its first line that is not a comment is ``key = value``."""
    return bool(_SNIFF_KEY.match(first_content_line(head)))


def read_source(source: Source, options: ReadOptions) -> Profile:
    """:func:`read_stv` as the registry calls every reader."""
    return read_stv(source, options.ballot_rules, seats=options.seats)
