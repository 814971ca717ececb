"""Candidates' attributes from a side file (``tallyroom count --candidates FILE``).

The file is CSV: a header row with a ``name`` (or ``candidate``) column and one column per
attribute, then one row per candidate::

    name,gender,region
    Ann Black,woman,south
    Pete Willsman,man,

Lines starting with ``#`` are comments (for provenance notes).  Names are matched to the
ballot file's candidates exactly, then ignoring case; an empty cell means the candidate has
no value for that attribute.  The attributes are merged into those the ballot file gave
(the side file wins where both give one).  A name the ballot file does not know, a
candidate named twice, or a row with the wrong number of cells is refused with the file,
line and what was expected.  Candidates the file leaves out keep the attributes they had.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from pathlib import Path

from tallyroom.ballots.formats.textio import read_text_file
from tallyroom.ballots.model import Candidate, Election, Profile
from tallyroom.errors import BallotFileError, ElectionError

NAME_COLUMNS = ("name", "candidate")


def read_candidates_file(path: str | Path) -> dict[str, dict[str, str]]:
    """Each candidate's attributes, by name as written in the file."""
    p = str(path)
    text = read_text_file(p, "a candidates file (CSV, UTF-8)")
    lines = [(n, line) for n, line in enumerate(text.splitlines(), start=1)]
    data = [(n, line) for n, line in lines if line.strip() and not line.lstrip().startswith("#")]
    if not data:
        raise BallotFileError(p, None, None, "no header row", "a name column and attribute columns")
    try:
        rows = list(csv.reader(io.StringIO("\n".join(line for _, line in data)), strict=True))
    except csv.Error as e:
        raise BallotFileError(
            p, None, None, f"malformed CSV ({e})", "a CSV file: a header row, one row per candidate"
        ) from None
    if len(rows) != len(data):
        # a quoted cell ran over a line end: the rows no longer match their lines
        raise BallotFileError(p, None, None, "a quoted cell across lines", "one line per candidate")
    header = [h.strip() for h in rows[0]]
    head_line = data[0][0]
    folded = [h.casefold() for h in header]
    name_col = next((folded.index(c) for c in NAME_COLUMNS if c in folded), None)
    if name_col is None:
        raise BallotFileError(p, head_line, None, f"columns {', '.join(header)}", "a 'name' column")
    for k, h in enumerate(header):
        if not h:
            raise BallotFileError(p, head_line, k + 1, "an empty column name", "an attribute name")
        if h.casefold() in folded[:k]:
            raise BallotFileError(p, head_line, k + 1, f"column {h!r} twice", "each column once")
    out: dict[str, dict[str, str]] = {}
    seen: dict[str, int] = {}
    for (line, _), row in zip(data[1:], rows[1:]):
        if len(row) != len(header):
            raise BallotFileError(
                p, line, None, f"{len(row)} cells", f"{len(header)} (one per column of the header)"
            )
        name = row[name_col].strip()
        if not name:
            raise BallotFileError(p, line, name_col + 1, "an empty name", "a candidate's name")
        if name.casefold() in seen:
            raise BallotFileError(
                p,
                line,
                name_col + 1,
                f"{name!r} again",
                f"each candidate once (first on line {seen[name.casefold()]})",
            )
        seen[name.casefold()] = line
        out[name] = {
            header[k]: cell.strip() for k, cell in enumerate(row) if k != name_col and cell.strip()
        }
    return out


def merge_attributes(
    election: Election, table: Mapping[str, Mapping[str, str]], source: str = "candidates file"
) -> Election:
    """``election`` with the attributes in ``table`` merged into its candidates."""
    unknown: list[str] = []
    updates: dict[int, Mapping[str, str]] = {}
    for name, attrs in table.items():
        try:
            i = election.index(name)
        except ElectionError:
            unknown.append(name)
            continue
        updates[i] = attrs
    if unknown:
        raise ElectionError(
            f"{source}: no candidate named {', '.join(repr(n) for n in unknown)} in the ballot "
            f"file; its candidates are: {', '.join(election.names)}"
        )
    candidates = tuple(
        Candidate(c.name, {**dict(c.attributes), **dict(updates[i])}) if i in updates else c
        for i, c in enumerate(election.candidates)
    )
    return election.with_changes(candidates=candidates)


def with_candidates_file(profile: Profile, path: str | Path) -> Profile:
    """``profile`` with the attributes read from ``path`` merged into its election."""
    table = read_candidates_file(path)
    return profile.with_election(merge_attributes(profile.election, table, str(path)))
