"""The careful BLT reader (line by line, any dialect, every error with its line and column),
and the BLT writer.

The layout::

    4 2                  candidates, seats
    -2                   optional: withdrawn candidates, as negative numbers
    [withdrawn 2]        optional Droop-style extension lines: [withdrawn ...],
    [tie 3 2 1]          [tie ...] (an order for breaking ties), [nick a b c d],
    1 4 1 3 2 0          weight, preferences (candidate numbers from 1), 0
    1 2=4 1 0            equal rankings joined with '=' (Droop); '-' is a skipped rank
    0                    end of ballots
    "Amy"                one name per candidate, in number order
    ...
    "Title"              optional title

Dialects taken, all found in real files: names quoted or not, with CSV-style doubled
quotes (``"Lab ""Barney CROCKETT"" "``); ``#`` comments anywhere; names given only in
``# ALTERNATIVE NAME n: ...`` comments (Glasgow 2007); every line ending in a comma;
an optional ``(id)`` before the weight; decimal weights.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from fractions import Fraction
from typing import Any, BinaryIO, TextIO

from tallyroom.ballots.formats.textio import (
    _CONTROL,
    _LONG_NUMBER_TEXT,
    MAX_DIGITS,
    MAX_LINE,
    lines,
    open_binary,
    shown,
)
from tallyroom.ballots.model import (
    MAX_CANDIDATES,
    NAME_EXPECTED,
    BallotRules,
    Candidate,
    Election,
    Preference,
    Profile,
    Weight,
    names_problem,
)
from tallyroom.errors import BallotFileError

_TOKEN = re.compile(r"\S+")
_ALT_NAME = re.compile(r"#\s*ALTERNATIVE NAME\s+(\d+)\s*:\s*(.*?)\s*$", re.IGNORECASE)
_INT = re.compile(r"[0-9]+")
_DECIMAL = re.compile(r"[0-9]+(\.[0-9]+)?|\.[0-9]+")


def _strip_comment(text: str) -> tuple[str, str]:
    """Split a line into its content and its ``#`` comment (a ``#`` inside quotes stays)."""
    if "#" not in text:
        return text, ""
    in_quote = False
    for i, ch in enumerate(text):
        if ch == '"':
            in_quote = not in_quote
        elif ch == "#" and not in_quote:
            return text[:i], text[i:]
    return text, ""


def _unquote(text: str) -> str:
    """A name as written: quoted (with doubled quotes inside) or bare."""
    text = text.strip()
    if not text.startswith('"'):
        return text
    out: list[str] = []
    i = 1
    while i < len(text):
        ch = text[i]
        if ch == '"':
            if i + 1 < len(text) and text[i + 1] == '"':
                out.append('"')
                i += 2
                continue
            rest = text[i + 1 :].strip()
            return ("".join(out) + (" " + rest if rest else "")).strip()
        out.append(ch)
        i += 1
    return "".join(out).strip()  # unbalanced quote: take what is there


def _small_file_lines(stream: BinaryIO) -> Iterator[tuple[int, str]] | None:
    """The lines :func:`~tallyroom.ballots.formats.textio.lines` would give, decoded at once:
    for a small file (no line of it can be too long) of clean UTF-8 text, which is every
    ward's file.  None (the stream where it was) for anything else: the line by line reading
    then finds and reports what is wrong, with its line and column."""
    try:
        if not stream.seekable():
            return None
        start = stream.tell()
        if isinstance(stream, io.BytesIO):
            size = len(stream.getbuffer()) - start
        else:
            size = os.fstat(stream.fileno()).st_size - start
    except (AttributeError, OSError, ValueError):
        return None
    if size > MAX_LINE:
        return None
    # bounded: a device (/dev/zero) says its size is 0 and never ends
    data = stream.read(MAX_LINE + 1)
    if len(data) > MAX_LINE:
        stream.seek(start)
        return None
    try:
        if len(data.translate(None, _CONTROL)) != len(data):
            raise ValueError("binary data")
        text = data.decode("utf-8")
    except ValueError:  # UnicodeDecodeError too: some lines are Latin-1
        stream.seek(start)
        return None
    if len(text) > MAX_DIGITS and _LONG_NUMBER_TEXT.search(text):
        stream.seek(start)
        return None  # the line by line reading refuses it, at its line
    if text.startswith("\ufeff"):
        text = text[1:]  # a BOM
    parts = text.split("\n")
    if parts[-1] == "":
        parts.pop()  # the last line's end (or an empty file)
    return ((i, t.rstrip("\r\n")) for i, t in enumerate(parts, 1))


class _Lines:
    """Content lines of a BLT file with line numbers, comments kept aside."""

    def __init__(self, stream: BinaryIO, name: str) -> None:
        self.name = name
        self._it: Iterator[tuple[int, str]] = _small_file_lines(stream) or lines(stream, name)
        #: for :meth:`next_after_plain`: the candidate numbers' lookups, made once
        self._plain: tuple[int, Any, Any] | None = None
        self.alt_names: dict[int, str] = {}
        self.comma_dialect = False
        self.lineno = 0

    def next(self) -> tuple[int, str] | None:
        """The next line with content, or None at the end of the file."""
        for lineno, text in self._it:
            self.lineno = lineno
            content = self._content(text)
            if content:
                return lineno, content
        return None

    def _content(self, text: str) -> str:
        content, comment = _strip_comment(text)
        if comment:
            m = _ALT_NAME.match(comment)
            if m:
                self.alt_names[int(m.group(1))] = m.group(2)
        content = content.rstrip()
        if self.comma_dialect and content.endswith(","):
            content = content[:-1].rstrip()
        return content if content.strip() else ""

    def next_after_plain(self, ncand: int, raw: dict[tuple, Weight]) -> tuple[int, str] | None:
        """Read ballot lines of the plain dialect (``weight prefs... 0``: a whole weight, not
        0, then candidate numbers from 1 to ``ncand`` written plainly) into ``raw``, and
        return the next line with content that is not one, as :meth:`next` does.  Anything
        else (the end line, weight 0, a bad candidate number, ``=``, ``-``, a comment ...) is
        returned for the careful reading, which reads or reports it."""
        if self._plain is None or self._plain[0] != ncand:
            index = {str(c + 1): c for c in range(ncand)}
            self._plain = (ncand, frozenset(index).issuperset, index.__getitem__)
        _, numbers, to_index = self._plain
        lineno = self.lineno
        try:
            for lineno, text in self._it:
                toks = text.split()
                if toks and toks[-1] == "0" and len(toks) >= 2 and numbers(toks[1:-1]):
                    w = toks[0]
                    if w.isdigit() and w.isascii() and int(w):
                        prefs = tuple(map(to_index, toks[1:-1]))
                        raw[prefs] = raw.get(prefs, 0) + int(w)
                        continue
                content = self._content(text)
                if content:
                    return lineno, content
            return None
        finally:
            self.lineno = lineno


def _tokens(content: str) -> list[tuple[int, str]]:
    return [(m.start() + 1, m.group()) for m in _TOKEN.finditer(content)]


def _parse_weight(tok: str, name: str, lineno: int, col: int) -> Weight:
    if _INT.fullmatch(tok):
        w: Weight = int(tok)
    elif _DECIMAL.fullmatch(tok):
        w = Fraction(tok)
    else:
        what = "a negative weight" if tok.startswith("-") else f"{shown(tok)}"
        raise BallotFileError(
            name, lineno, col, what, "a ballot weight (a positive number) at the start of the line"
        )
    if w == 0:
        raise BallotFileError(name, lineno, col, "weight 0", "a positive ballot weight")
    return w


def read_blt_careful(
    path: str | os.PathLike[str] | BinaryIO,
    rules: BallotRules = BallotRules(),
    *,
    source: str | None = None,
) -> Profile:
    """Read a BLT file line by line (any dialect; errors with line and column)."""
    stream, name = open_binary(path)
    try:
        return parse_stream(stream, source or name, rules)
    finally:
        if not hasattr(path, "read"):
            stream.close()


def parse_stream(stream: BinaryIO, name: str, rules: BallotRules) -> Profile:
    """Read a BLT file from a binary stream, naming it ``name`` in errors and as the source."""
    src = _Lines(stream, name)
    first = src.next()
    if first is None:
        raise BallotFileError(
            name,
            None,
            None,
            "an empty file",
            "a BLT header line: number of candidates, number of seats",
        )
    lineno, header = first
    if header.endswith(","):
        src.comma_dialect = True
        header = header[:-1]
    toks = _tokens(header.replace(",", " "))
    if len(toks) < 2 or not all(_INT.fullmatch(t) for _, t in toks[:2]):
        found = shown(header.strip()) if header.strip() else "nothing"
        raise BallotFileError(
            name,
            lineno,
            toks[0][0] if toks else 1,
            found,
            "a BLT header line: number of candidates, number of seats (two whole numbers)",
        )
    ncand, seats = int(toks[0][1]), int(toks[1][1])
    extra = [t for t in toks[2:]]
    if extra:
        raise BallotFileError(
            name, lineno, extra[0][0], shown(extra[0][1]), "only two numbers on the header line"
        )
    if ncand < 1:
        raise BallotFileError(name, lineno, toks[0][0], "0 candidates", "at least one candidate")
    if ncand > MAX_CANDIDATES:
        # the work (and the index of candidate numbers) is bounded by the file, not by
        # what its first line asks for
        raise BallotFileError(
            name,
            lineno,
            toks[0][0],
            f"{ncand:,} candidates",
            f"at most {MAX_CANDIDATES:,} candidates",
        )
    if seats < 1:
        raise BallotFileError(name, lineno, toks[1][0], "0 seats", "at least one seat")
    if seats > ncand:
        raise BallotFileError(
            name,
            lineno,
            toks[1][0],
            f"{seats} seats for {ncand} candidates",
            "no more seats than candidates",
        )

    withdrawn: set[int] = set()
    tie_order: list[int] | None = None
    nicks: dict[str, int] = {}
    raw: dict[tuple, Weight] = {}

    def candidate(tok: str, lineno: int, col: int) -> int:
        if tok in nicks:
            return nicks[tok]
        if _INT.fullmatch(tok):
            n = int(tok)
            if 1 <= n <= ncand:
                return n - 1
            raise BallotFileError(
                name,
                lineno,
                col,
                f"candidate number {n}",
                f"a candidate number from 1 to {ncand}",
            )
        raise BallotFileError(
            name, lineno, col, shown(tok), f"a candidate number from 1 to {ncand}"
        )

    while True:
        # plain ballot lines are taken at once (never when nicknames make a number a name)
        item = src.next() if nicks else src.next_after_plain(ncand, raw)
        if item is None:
            raise BallotFileError(
                name,
                src.lineno + 1,
                None,
                "the end of the file",
                "more ballots, then the end-of-ballots line '0' and the candidate names",
            )
        lineno, content = item
        stripped = content.strip()
        if stripped.startswith("["):
            if not stripped.endswith("]"):
                raise BallotFileError(
                    name, lineno, len(content), shown(stripped), "an option line closed by ']'"
                )
            words = stripped[1:-1].split()
            key = words[0].lower() if words else ""
            args = words[1:]
            if key == "nick":
                if len(args) != ncand:
                    raise BallotFileError(
                        name,
                        lineno,
                        1,
                        f"{len(args)} nicknames",
                        f"{ncand} nicknames, one per candidate",
                    )
                nicks = {a: i for i, a in enumerate(args)}
            elif key in ("withdrawn", "tie"):
                idx = [candidate(a, lineno, 1) for a in args]
                if key == "withdrawn":
                    withdrawn.update(idx)
                else:
                    tie_order = idx
            # other options ([droop ...], [undeclared ...]) concern other programs
            continue
        toks = _tokens(content)
        if stripped.startswith("-") and all(t.startswith("-") for _, t in toks):
            for col, tok in toks:
                if not _INT.fullmatch(tok[1:]):
                    raise BallotFileError(
                        name, lineno, col, shown(tok), "a withdrawn candidate as -number"
                    )
                withdrawn.add(candidate(tok[1:], lineno, col))
            continue
        if len(toks) == 1 and toks[0][1] == "0":
            break
        pos = 0
        if toks[0][1].startswith("("):
            pos = 1  # a ballot id, as OpenSTV writes
            if len(toks) < 2:
                raise BallotFileError(
                    name, lineno, None, "a ballot id alone", "a ballot after its id"
                )
        col, tok = toks[pos]
        if stripped.startswith('"'):
            raise BallotFileError(
                name,
                lineno,
                1,
                shown(stripped),
                "a ballot line, or the end-of-ballots line '0' before the candidate names",
            )
        weight = _parse_weight(tok, name, lineno, col)
        if toks[-1][1] != "0" or len(toks) - pos < 2:
            raise BallotFileError(
                name,
                lineno,
                len(content) + 1,
                "the end of the line",
                "0 to end the ballot (each ballot line is: weight, preferences, 0)",
            )
        marks: list[Preference | None] = []
        for col, tok in toks[pos + 1 : -1]:
            if tok == "-":
                marks.append(None)
            elif "=" in tok:
                parts = tok.split("=")
                if any(not t for t in parts):
                    raise BallotFileError(
                        name,
                        lineno,
                        col,
                        shown(tok),
                        "candidates ranked equal joined by '=', as 2=4",
                    )
                group = tuple(candidate(t, lineno, col) for t in parts)
                marks.append(group if len(group) > 1 else group[0])
            else:
                marks.append(candidate(tok, lineno, col))
        ballot_key = tuple(marks)
        raw[ballot_key] = raw.get(ballot_key, 0) + weight

    # names, then title
    name_lines: list[tuple[int, str]] = []
    while (item := src.next()) is not None:
        name_lines.append(item)
    names: list[str]
    title = ""
    if len(name_lines) >= ncand:
        names = [_unquote(t) for _, t in name_lines[:ncand]]
        rest = name_lines[ncand:]
        if rest:
            title = _unquote(rest[0][1])
        # lines after the title are free notes (Droop's test files describe themselves there)
    elif len(src.alt_names) == ncand and sorted(src.alt_names) == list(range(1, ncand + 1)):
        names = [src.alt_names[i] for i in range(1, ncand + 1)]
        if name_lines:
            title = _unquote(name_lines[0][1])
    else:
        raise BallotFileError(
            name,
            src.lineno + 1,
            None,
            f"{len(name_lines)} name line{'s' if len(name_lines) != 1 else ''} after the ballots",
            f"{ncand} candidate names, one per line",
        )
    if src.comma_dialect:
        names = [" ".join(n.replace(",", " ").split()) for n in names]
        title = " ".join(title.replace(",", " ").split())
    # a name given twice is refused at the line of its second time (names_problem)
    bad = names_problem(names)
    if bad is not None:
        at = name_lines[bad[0]][0] if len(name_lines) >= ncand else None
        raise BallotFileError(name, at, None, bad[1], NAME_EXPECTED)

    election = Election(
        candidates=tuple(Candidate(n) for n in names),
        seats=seats,
        withdrawn=frozenset(withdrawn),
        title=title,
        tie_order=tuple(tie_order) if tie_order else None,
    )
    return _profile(election, raw, rules, name)


def _profile(
    election: Election, raw: dict[tuple, Weight], rules: BallotRules, name: str
) -> Profile:
    return Profile.from_marks(election, raw, rules, source=name, keep_equal=True)


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def write_blt(profile: Profile, out: TextIO) -> None:
    """Write a profile as standard BLT (quoted names, withdrawn as negative numbers).

    Invalid papers are not ballots and are not written; a profile read back from this file
    has the same valid ballots.
    """
    if profile.kind != "ranked":
        raise ValueError("BLT holds ranked ballots only")
    e = profile.election
    out.write(f"{len(e.candidates)} {e.seats}\n")
    if e.withdrawn:
        out.write(" ".join(f"-{w + 1}" for w in sorted(e.withdrawn)) + "\n")
    if e.tie_order:
        out.write("[tie " + " ".join(str(c + 1) for c in e.tie_order) + "]\n")
    for ballot, weight in zip(profile.ballots, profile.weights):
        prefs = " ".join(
            "=".join(str(c + 1) for c in p) if isinstance(p, tuple) else str(p + 1) for p in ballot
        )
        w = (
            str(weight)
            if isinstance(weight, int) or weight.denominator == 1
            else _fraction_text(weight)
        )
        out.write(f"{w} {prefs} 0\n" if prefs else f"{w} 0\n")
    out.write("0\n")
    for c in e.candidates:
        out.write(_quote(c.name) + "\n")
    out.write(_quote(e.title) + "\n")


def _fraction_text(w: Fraction) -> str:
    """A fractional weight as an exact decimal, or refused when it has none (1/3)."""
    from tallyroom.numbers import format_decimal

    d = w.denominator
    twos = fives = 0
    while d % 2 == 0:
        d //= 2
        twos += 1
    while d % 5 == 0:
        d //= 5
        fives += 1
    if d != 1:
        raise ValueError(f"weight {w} has no exact decimal form for BLT")
    return format_decimal(w, max(twos, fives))
