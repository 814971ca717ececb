"""The rank profile CSV of VoteKit (``PreferenceProfile.to_csv``): ``VoteKit RankProfile``
on its first line, its header rows, candidates as ``(NAME:PREFIX)``, each rank a set of
prefixes such as ``{'JOH'}``, then ``&``, the weight and ``&``.  Equal rankings (a set of
several prefixes) are kept equal: they are what the voter (or the generator) said."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from tallyroom.ballots.formats.csv.rows import Record, ranked_profile, weight_of
from tallyroom.ballots.formats.textio import check_name, shown
from tallyroom.ballots.model import BallotRules, Preference, Profile, Weight
from tallyroom.errors import BallotFileError

_CANDIDATE = re.compile(r"\((.*):([^:]*)\)$", re.DOTALL)


def read(
    first: Record, records: Iterator[Record], name: str, rules: BallotRules, seats: int
) -> Profile:
    """The profile of a VoteKit rank profile CSV whose first record is ``first``."""
    expected_rows = [
        "VoteKit RankProfile",
        "Candidates",
        None,
        "Max Ranking Length",
        None,
        "Includes Voter Set",
        None,
        None,
    ]
    head: list[Record] = [first]
    for rec in records:
        head.append(rec)
        if len(head) == len(expected_rows) + 1:
            break
    if len(head) < len(expected_rows) + 1:
        raise BallotFileError(
            name,
            head[-1].line + 1,
            None,
            "the end of the file",
            "the VoteKit header rows and the column names row",
        )
    for rec, want in zip(head, expected_rows):
        if want is not None and [c.strip() for c in rec.cells] != [want]:
            raise BallotFileError(
                name,
                rec.line,
                1,
                shown(",".join(rec.cells)),
                f"{want!r} (a VoteKit rank profile CSV)",
            )
    # candidates: (NAME:PREFIX)
    cand_rec = head[2]
    names: list[str] = []
    name_keys: dict[str, str] = {}
    prefixes: dict[str, int] = {}
    for i, cell in enumerate(cand_rec.cells):
        m = _CANDIDATE.fullmatch(cell.strip())
        if m is None:
            raise BallotFileError(
                name, cand_rec.line, cand_rec.col(i), shown(cell), "a candidate as (NAME:PREFIX)"
            )
        nm, prefix = m.group(1), m.group(2)
        if nm in names or prefix in prefixes:
            raise BallotFileError(
                name,
                cand_rec.line,
                cand_rec.col(i),
                f"the candidate {cell!r} a second time",
                "a different name and prefix for each candidate",
            )
        check_name(nm, name_keys, name, cand_rec.line, cand_rec.col(i))
        prefixes[prefix] = len(names)
        names.append(nm)
    length_rec = head[4]
    length_text = length_rec.cells[0].strip()
    if not (length_text.isascii() and length_text.isdigit()):
        raise BallotFileError(
            name,
            length_rec.line,
            1,
            shown(length_text),
            "the maximum ranking length (a whole number)",
        )
    voter_set = head[6].cells[0].strip()
    if voter_set not in ("True", "False"):
        raise BallotFileError(name, head[6].line, 1, shown(voter_set), "True or False")
    cols = head[8]
    if len(length_text) > 9 or int(length_text) > len(cols.cells):
        # the columns are bounded by the file: never build more names than the row holds
        raise BallotFileError(
            name,
            length_rec.line,
            1,
            f"a maximum ranking length of {shown(length_text)}",
            f"at most the {len(cols.cells)} columns of line {cols.line} "
            "(one Ranking_i column per rank)",
        )
    length = int(length_text)
    want_cols = [f"Ranking_{i + 1}" for i in range(length)] + ["&", "Weight", "&"]
    if voter_set == "True":
        want_cols.append("Voter Set")
    if [c.strip() for c in cols.cells] != want_cols:
        raise BallotFileError(
            name,
            cols.line,
            1,
            shown(",".join(cols.cells), 60),
            "the column names " + ",".join(want_cols),
        )

    cache: dict[str, Preference | None] = {}

    def rank_cell(text: str, line: int, col: int | None) -> Preference | None:
        t = text.strip()
        if t in cache:
            return cache[t]
        if t in ("", "{}"):
            mark: Preference | None = None
        else:
            try:
                value = ast.literal_eval(t) if len(t) < 10_000 else None
            except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                value = None
            if not isinstance(value, (set, frozenset)) or not all(
                isinstance(v, str) for v in value
            ):
                raise BallotFileError(
                    name, line, col, shown(t), "a set of candidate prefixes such as {'JOH'}"
                )
            unknown = [v for v in value if v not in prefixes]
            if unknown:
                raise BallotFileError(
                    name,
                    line,
                    col,
                    f"the prefix {unknown[0]!r}",
                    "one of the prefixes in the Candidates row: " + ", ".join(prefixes),
                )
            group = tuple(sorted(prefixes[v] for v in value))
            mark = group[0] if len(group) == 1 else group
        cache[t] = mark
        return mark

    raw: dict[tuple, Weight] = {}
    for rec in records:
        cells = rec.cells
        if (
            len(cells) < length + 3
            or cells[length].strip() != "&"
            or cells[length + 2].strip() != "&"
        ):
            raise BallotFileError(
                name,
                rec.line,
                None,
                shown(",".join(cells), 60),
                f"{length} ranking cells, '&', the weight, '&'",
            )
        marks = tuple(rank_cell(cells[i], rec.line, rec.col(i)) for i in range(length))
        w = weight_of(cells[length + 1], name, rec.line, rec.col(length + 1), "Weight")
        raw[marks] = raw.get(marks, 0) + w
    # VoteKit's equal rankings are the voter's (or generator's) statement: kept equal
    return ranked_profile(name, raw, names, rules, seats, keep_equal=True)
