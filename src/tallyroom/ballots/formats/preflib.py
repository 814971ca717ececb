"""PrefLib election data: ``.soi``, ``.soc``, ``.toi`` and ``.toc`` files.

The current layout (PrefLib 2022 on)::

    # FILE NAME: 00001-00000001.soi
    # TITLE: 2002 Dublin North
    # DATA TYPE: soi
    # NUMBER ALTERNATIVES: 12
    # NUMBER VOTERS: 43942
    # NUMBER UNIQUE ORDERS: 19299
    # ALTERNATIVE NAME 1: Cathal Boland F.G.
    ...
    800: 12,6,4                 count: order (alternatives numbered from 1)
    2: 2,{1,4}                  candidates in braces are ranked equal

``soc``/``toc`` orders rank every alternative, ``soi``/``toi`` some of them; ``s`` files
have no ties, ``t`` files may.  The data type is not enforced: a tie in an ``soi`` file is
read as a tie.

Dialects taken: no space after the colon, a trailing comma after the order (seen in real
files), ``#`` lines anywhere (only the leading ones are metadata), and the legacy layout
written before 2022 (a line with the number of alternatives, one ``number,name`` line per
alternative, a ``voters,sum of counts,unique orders`` line, then ``count,order`` lines).

PrefLib has no seats: the caller gives them (default 1).  Counts must be whole positive
numbers.  When the header states ``NUMBER VOTERS`` and ``NUMBER UNIQUE ORDERS``, the data
must agree with it: a file cut short is refused, never counted.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, BinaryIO, TextIO

from tallyroom.ballots.formats.textio import lines, open_binary, shown
from tallyroom.ballots.model import (
    MAX_CANDIDATES,
    NAME_EXPECTED,
    BallotRules,
    Candidate,
    Election,
    Preference,
    Profile,
    names_problem,
)
from tallyroom.errors import BallotFileError, ElectionError

if TYPE_CHECKING:
    from tallyroom.ballots.formats import ReadOptions, Source

_META = re.compile(r"#\s*([A-Za-z][A-Za-z0-9 ]*?)\s*:\s?(.*?)\s*$")
_INT = re.compile(r"[0-9]+")
_DATA = re.compile(r"\s*([^:]*?)\s*:(.*)$")
_ORDER_TOKEN = re.compile(r"\s*(?:(\{)|(\})|(,)|([^{},\s]+))")

#: The kinds of PrefLib ordinal data this module reads and writes.
DATA_TYPES = ("soi", "soc", "toi", "toc")


def read_preflib(
    path: str | os.PathLike[str] | BinaryIO,
    rules: BallotRules = BallotRules(),
    *,
    seats: int = 1,
    source: str | None = None,
) -> Profile:
    """Read a PrefLib ordinal file (soi, soc, toi, toc) into a profile for ``seats`` seats.

    Ties (``{3,4}``) are kept as equal rankings; :meth:`Profile.strict` applies the
    overvote rule when a counting rule needs a strict order.
    """
    stream, name = open_binary(path)
    try:
        return _Reader(stream, source or name, rules, seats).read()
    finally:
        if not hasattr(path, "read"):
            stream.close()


def _count(tok: str, name: str, lineno: int, col: int) -> int:
    """A PrefLib count: a whole number of voters, at least 1."""
    if _INT.fullmatch(tok):
        n = int(tok)
        if n == 0:
            raise BallotFileError(name, lineno, col, "count 0", "a count of at least 1 voter")
        return n
    if tok.startswith("-"):
        found = f"a negative count {shown(tok)}"
    elif re.fullmatch(r"[0-9]*\.[0-9]+|[0-9]+\.[0-9]*|[0-9]+/[0-9]+", tok):
        found = f"a fractional count {shown(tok)}"
    else:
        found = shown(tok) if tok else "nothing"
    raise BallotFileError(
        name, lineno, col, found, "a count of voters (a whole number) before the order"
    )


def parse_order(
    text: str, n: int, name: str, lineno: int, col0: int = 1
) -> list[Preference | None]:
    """Parse a PrefLib order such as ``12,{3,4},5`` into marks (0-based candidate indices).

    ``col0`` is the column of ``text`` in its line, for error messages.  A trailing comma
    is taken; an empty group ``{}`` is no mark.
    """
    marks: list[Preference | None] = []
    group: list[int] | None = None
    group_col = 0
    expect_item = True
    pos = 0
    end = len(text.rstrip())

    def fail(col: int, found: str, expected: str) -> BallotFileError:
        return BallotFileError(name, lineno, col, found, expected)

    while pos < end:
        m = _ORDER_TOKEN.match(text, pos)
        if m is None:  # pragma: no cover - the pattern matches any non-space character
            raise fail(col0 + pos, shown(text[pos:]), "an order such as 1,2,{3,4}")
        col = col0 + m.start(m.lastindex or 0)
        pos = m.end()
        if m.group(1):  # {
            if group is not None:
                raise fail(col, "'{' inside braces", "'}' to close the group opened before")
            if not expect_item:
                raise fail(col, "'{'", "',' between places in the order")
            group, group_col = [], col
        elif m.group(2):  # }
            if group is None:
                raise fail(col, "'}' with no '{' before it", "an alternative number or ','")
            if expect_item and group:
                raise fail(col, "'}' after ','", "an alternative number")
            members = tuple(dict.fromkeys(group))
            if len(members) == 1:
                marks.append(members[0])
            elif members:
                marks.append(members)
            group = None
            expect_item = False
        elif m.group(3):  # ,
            if expect_item:
                raise fail(col, "',' with no alternative before it", "an alternative number")
            expect_item = True
        else:
            tok = m.group(4)
            if not expect_item:
                raise fail(col, shown(tok), "',' between places in the order")
            if not _INT.fullmatch(tok):
                raise fail(col, shown(tok), f"an alternative number from 1 to {n}")
            c = int(tok)
            if not 1 <= c <= n:
                raise fail(col, f"alternative number {c}", f"an alternative number from 1 to {n}")
            if group is not None:
                group.append(c - 1)
            else:
                marks.append(c - 1)
            expect_item = False
    if group is not None:
        raise fail(group_col, "'{' never closed", "'}' to close the group of equal rankings")
    # a trailing comma (``2: 2,1,4,``) is a dialect seen in real files: taken
    return marks


class _Reader:
    def __init__(self, stream: BinaryIO, name: str, rules: BallotRules, seats: int) -> None:
        self.name = name
        self.rules = rules
        self.seats = seats
        self.it: Iterator[tuple[int, str]] = lines(stream, name)
        self.meta: dict[str, tuple[int, str]] = {}
        self.names: dict[int, tuple[int, str]] = {}
        self.raw: dict[tuple, int] = {}
        self.voters = 0
        self.data_lines = 0
        self.last_line = 0

    def read(self) -> Profile:
        name = self.name
        first_data: tuple[int, str] | None = None
        for lineno, text in self.it:
            self.last_line = lineno
            stripped = text.strip()
            if not stripped:
                continue
            if stripped.startswith("#"):
                m = _META.match(stripped)
                if m:
                    key = " ".join(m.group(1).upper().split())
                    self._meta(key, m.group(2), lineno, stripped)
                continue
            first_data = (lineno, text)
            break
        if first_data is None and not self.meta:
            raise BallotFileError(
                name,
                None,
                None,
                "an empty file",
                "a PrefLib file: '# ' metadata lines, then 'count: order' lines",
            )
        if "NUMBER ALTERNATIVES" not in self.meta and first_data is not None:
            lineno, text = first_data
            if _INT.fullmatch(text.strip()):
                return self._legacy(int(text.strip()), lineno)
        n = self._number_of_alternatives()
        if first_data is not None:
            self._data(first_data[0], first_data[1], n)
        for lineno, text in self.it:
            self.last_line = lineno
            stripped = text.strip()
            if not stripped or stripped.startswith("#"):
                continue
            self._data(lineno, text, n)
        self._check_totals()
        names = self._names(n)
        title = self.meta.get("TITLE", (0, ""))[1]
        return self._profile(names, title)

    # -- the current layout -----------------------------------------------------------
    def _meta(self, key: str, value: str, lineno: int, text: str) -> None:
        if key.startswith("ALTERNATIVE NAME"):
            rest = key[len("ALTERNATIVE NAME") :].strip()
            # the number may have been caught in the key ("ALTERNATIVE NAME 3")
            if not _INT.fullmatch(rest):
                raise BallotFileError(
                    self.name, lineno, 1, shown(text), "'# ALTERNATIVE NAME <number>: <name>'"
                )
            i = int(rest)
            if i in self.names:
                raise BallotFileError(
                    self.name,
                    lineno,
                    1,
                    f"a second name for alternative {i}",
                    f"one name per alternative (the first is on line {self.names[i][0]})",
                )
            self.names[i] = (lineno, value)
        else:
            self.meta[key] = (lineno, value)

    def _number_of_alternatives(self) -> int:
        if "NUMBER ALTERNATIVES" not in self.meta:
            raise BallotFileError(
                self.name,
                self.last_line or None,
                None,
                "no '# NUMBER ALTERNATIVES' line before the data",
                "the PrefLib header: '# NUMBER ALTERNATIVES: n' and one '# ALTERNATIVE NAME i: ...' "
                "line per alternative",
            )
        lineno, value = self.meta["NUMBER ALTERNATIVES"]
        if not _INT.fullmatch(value) or int(value) < 1:
            raise BallotFileError(
                self.name, lineno, None, shown(value), "a number of alternatives of at least 1"
            )
        if int(value) > MAX_CANDIDATES:
            raise BallotFileError(
                self.name,
                lineno,
                None,
                f"{int(value):,} alternatives",
                f"at most {MAX_CANDIDATES:,} alternatives",
            )
        return int(value)

    def _data(self, lineno: int, text: str, n: int) -> None:
        m = _DATA.match(text)
        if m is None:
            raise BallotFileError(
                self.name,
                lineno,
                1,
                shown(text.strip()),
                "a data line 'count: order', such as '12: 3,1,{2,4}'",
            )
        count_tok = m.group(1)
        count = _count(count_tok, self.name, lineno, text.index(count_tok) + 1 if count_tok else 1)
        marks = parse_order(m.group(2), n, self.name, lineno, m.start(2) + 1)
        key = tuple(marks)
        self.raw[key] = self.raw.get(key, 0) + count
        self.voters += count
        self.data_lines += 1

    def _check_totals(self) -> None:
        for key, have, what in (
            ("NUMBER VOTERS", self.voters, "voters"),
            ("NUMBER UNIQUE ORDERS", self.data_lines, "data lines"),
        ):
            if key not in self.meta:
                continue
            lineno, value = self.meta[key]
            if not _INT.fullmatch(value):
                raise BallotFileError(self.name, lineno, None, shown(value), "a whole number")
            if int(value) != have:
                raise BallotFileError(
                    self.name,
                    lineno,
                    None,
                    f"{have} {what} in the file",
                    f"{int(value)} as this header line says (is the file cut short?)",
                )

    def _names(self, n: int) -> list[str]:
        for i, (lineno, _) in sorted(self.names.items()):
            if not 1 <= i <= n:
                raise BallotFileError(
                    self.name,
                    lineno,
                    None,
                    f"a name for alternative {i}",
                    f"names for alternatives 1 to {n} only (# NUMBER ALTERNATIVES: {n})",
                )
        missing = [i for i in range(1, n + 1) if i not in self.names]
        if missing:
            lineno = self.meta["NUMBER ALTERNATIVES"][0]
            raise BallotFileError(
                self.name,
                lineno,
                None,
                f"no name for alternative {missing[0]}",
                f"a line '# ALTERNATIVE NAME {missing[0]}: <name>' for each of the {n} alternatives",
            )
        names = [self.names[i][1] for i in range(1, n + 1)]
        self._unique(names, [self.names[i][0] for i in range(1, n + 1)])
        return names

    def _unique(self, names: list[str], linenos: list[int]) -> None:
        bad = names_problem(names)
        if bad is not None and names.count(names[bad[0]]) == 1:
            raise BallotFileError(self.name, linenos[bad[0]], None, bad[1], NAME_EXPECTED)
        seen: dict[str, int] = {}
        for nm, lineno in zip(names, linenos):
            if nm in seen:
                raise BallotFileError(
                    self.name,
                    lineno,
                    None,
                    f"the name {nm!r} a second time",
                    f"a different name for each alternative (also on line {seen[nm]})",
                )
            seen[nm] = lineno

    def _profile(self, names: list[str], title: str) -> Profile:
        if self.seats > len(names):
            raise ElectionError(
                f"{self.name}: {self.seats} seats for {len(names)} candidates; "
                "there cannot be more seats than candidates"
            )
        election = Election(
            candidates=tuple(Candidate(nm) for nm in names), seats=self.seats, title=title
        )
        return Profile.from_marks(election, self.raw, self.rules, source=self.name, keep_equal=True)

    # -- the legacy layout --------------------------------------------------------------
    def _legacy(self, n: int, first_line: int) -> Profile:
        name = self.name
        if n < 1:
            raise BallotFileError(name, first_line, 1, "0 alternatives", "at least one alternative")
        names: list[str] = []
        linenos: list[int] = []
        stage = "names"
        totals: tuple[int, int, int] | None = None
        totals_line = 0
        for lineno, text in self.it:
            self.last_line = lineno
            stripped = text.strip()
            if not stripped or stripped.startswith("#"):
                continue
            if stage == "names":
                number, _, nm = stripped.partition(",")
                if not _INT.fullmatch(number.strip()) or int(number) != len(names) + 1 or not _:
                    raise BallotFileError(
                        name,
                        lineno,
                        1,
                        shown(stripped),
                        f"'{len(names) + 1},<name>' (legacy PrefLib: one line per alternative)",
                    )
                names.append(nm.strip())
                linenos.append(lineno)
                if len(names) == n:
                    stage = "totals"
            elif stage == "totals":
                parts = [p.strip() for p in stripped.split(",")]
                if len(parts) != 3 or not all(_INT.fullmatch(p) for p in parts):
                    raise BallotFileError(
                        name,
                        lineno,
                        1,
                        shown(stripped),
                        "'voters,sum of counts,unique orders' (legacy PrefLib)",
                    )
                totals = (int(parts[0]), int(parts[1]), int(parts[2]))
                totals_line = lineno
                stage = "data"
            else:
                count_tok, _, order = text.partition(",")
                count = _count(count_tok.strip(), name, lineno, 1)
                marks = parse_order(order, n, name, lineno, len(count_tok) + 2)
                key = tuple(marks)
                self.raw[key] = self.raw.get(key, 0) + count
                self.voters += count
                self.data_lines += 1
        if stage != "data":
            raise BallotFileError(
                name,
                self.last_line + 1,
                None,
                "the end of the file",
                f"{n} alternative names and the 'voters,sum of counts,unique orders' line",
            )
        assert totals is not None
        if totals[1] != self.voters or totals[2] != self.data_lines:
            raise BallotFileError(
                name,
                totals_line,
                None,
                f"{self.voters} voters on {self.data_lines} data lines in the file",
                f"{totals[1]} voters on {totals[2]} lines as this line says (is the file cut short?)",
            )
        self._unique(names, linenos)
        return self._profile(names, "")


# -- writing ------------------------------------------------------------------------------
def data_type(profile: Profile) -> str:
    """The PrefLib data type that describes a ranked profile: soi, soc, toi or toc."""
    n = len(profile.election.candidates)
    ties = not profile.is_strict
    complete = all(
        sum(len(p) if isinstance(p, tuple) else 1 for p in b) == n for b in profile.ballots
    )
    return ("t" if ties else "s") + "o" + ("c" if complete else "i")


def write_preflib(profile: Profile, out: TextIO, *, file_name: str = "") -> None:
    """Write a ranked profile as a PrefLib file, its type (soi, soc, toi, toc) from its data.

    PrefLib holds whole counts of valid orders only: seats, withdrawn candidates, the tie
    order and invalid papers have no place in it and are not written.
    """
    if profile.kind != "ranked":
        raise ValueError("PrefLib ordinal files hold ranked ballots only")
    weights: list[int] = []
    for w in profile.weights:
        if isinstance(w, int) or w.denominator == 1:
            weights.append(int(w))
        else:
            raise ValueError(f"PrefLib counts are whole numbers; this profile has a weight {w}")
    e = profile.election
    for text in (e.title, file_name, *e.names):
        if "\n" in text or "\r" in text:
            raise ValueError(f"a name or title with a line break cannot be written: {text!r}")
    kind = data_type(profile)
    header = [
        ("FILE NAME", file_name),
        ("TITLE", e.title),
        ("DESCRIPTION", ""),
        ("DATA TYPE", kind),
        ("MODIFICATION TYPE", ""),
        ("RELATES TO", ""),
        ("RELATED FILES", ""),
        ("PUBLICATION DATE", ""),
        ("MODIFICATION DATE", ""),
        ("NUMBER ALTERNATIVES", str(len(e.candidates))),
        ("NUMBER VOTERS", str(sum(weights))),
        ("NUMBER UNIQUE ORDERS", str(len(profile.ballots))),
    ]
    header += [(f"ALTERNATIVE NAME {i}", nm) for i, nm in enumerate(e.names, 1)]
    for key, value in header:
        out.write(f"# {key}: {value}\n" if value else f"# {key}:\n")
    order = sorted(range(len(weights)), key=lambda i: -weights[i])  # PrefLib lists by count
    for i in order:
        prefs = ",".join(
            "{" + ",".join(str(c + 1) for c in p) + "}" if isinstance(p, tuple) else str(p + 1)
            for p in profile.ballots[i]
        )
        out.write(f"{weights[i]}: {prefs}\n")


# -- the registry's entry (tallyroom.ballots.formats) ------------------------------------------
def sniff(head: bytes) -> bool:
    """PrefLib's ``# NUMBER ALTERNATIVES:`` or ``# DATA TYPE:`` header, or the legacy layout:
    the number of alternatives alone on a line, then ``1,<name>``."""
    if re.search(rb"^#\s*(NUMBER ALTERNATIVES|DATA TYPE)\s*:", head, re.MULTILINE):
        return True
    lines = [ln.strip() for ln in head.split(b"\n")[:3]]
    return len(lines) >= 2 and lines[0].isdigit() and lines[1].startswith(b"1,")


def read_source(source: Source, options: ReadOptions) -> Profile:
    """:func:`read_preflib` as the registry calls every reader (1 seat when none is given)."""
    return read_preflib(source, options.ballot_rules, seats=options.seats or 1)
