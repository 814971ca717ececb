"""Hart InterCivic Verity cast-vote records: a folder of XML files, one per paper, as
RCTab reads them.

Each file is a ``<Cvr>`` with ``<Contests>``; a contest's ``<Options>`` each name a choice
(``<Id>``, ``<Name>``) and its ``<Value>``: a string of digits read left to right, one per
rank, ``1`` where that rank is marked (``0100``: rank 2).  Choices are named by their
``Id`` mapped through the aliases (RCTab's configs give Hart's ids as aliases), else by
their ``Name``.  A file without the contest is not a paper of it.  Files are read one at a
time (``*.xml``, in name order) and identical papers merged; a malformed file is refused
with its line and the XML path of the element.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from tallyroom.ballots.formats._ranks import OVERVOTE_MARK, count, marks_by_rank
from tallyroom.ballots.formats._xml import Node, stream
from tallyroom.ballots.model import BallotRules, Candidate, Election, Profile
from tallyroom.errors import BallotFileError

if TYPE_CHECKING:
    from tallyroom.ballots.formats import ReadOptions, Source

UWI_NAME = "Undeclared Write-ins"
EXPECTED = "a Hart Verity CVR (<Cvr> with <Contests>)"


def cvr_files(path: str | os.PathLike[str]) -> list[Path]:
    p = Path(path)
    if not p.is_dir():
        return [p]
    files = sorted(f for f in p.iterdir() if f.name.lower().endswith(".xml") and f.is_file())
    if not files:
        raise BallotFileError(str(p), None, None, "no .xml file", "a folder of Hart CVR files")
    return files


def read_hart(
    path: str | os.PathLike[str],
    rules: BallotRules = BallotRules(),
    *,
    seats: int = 1,
    contest: str | None = None,
    max_rankings: int | None = None,
    aliases: Mapping[str, str] | None = None,
    uwi_label: str | None = None,
    overvote_label: str | None = None,
    precincts: dict[str, dict[tuple, int]] | None = None,
) -> Profile:
    """Read a folder of Hart CVRs (or one file) for one contest (its ``Id`` or ``Name``;
    without it the papers must hold one contest between them)."""
    alias = dict(aliases or {})
    files = cvr_files(path)
    names: list[str] = []
    index: dict[str, int] = {}
    raw: dict[tuple, int] = {}
    seen_contests: dict[str, str] = {}

    for f in files:
        fname = str(f)
        papers: list[tuple[tuple, str]] = []
        top: dict[str, Node] = {}

        def child(node: Node, fname: str = fname, top: dict[str, Node] = top) -> None:
            top.setdefault(node.tag, node)

        def root(node: Node, fname: str = fname) -> None:
            if node.tag != "Cvr":
                raise BallotFileError(fname, node.line, None, f"<{node.tag}>", EXPECTED)

        stream(f, fname, child, expected=EXPECTED, root=root)
        cts = top.get("Contests")
        if cts is None:
            raise BallotFileError(fname, None, None, "Cvr: no <Contests>", EXPECTED)
        precinct = ""
        split = top.get("PrecinctSplit")
        if split is not None:
            precinct = split.value("Name") or ""
        for ci, ct in enumerate(cts.all("Contest")):
            cid = ct.value("Id") or ""
            seen_contests.setdefault(cid, ct.value("Name") or "")
            if contest is None:
                if len(seen_contests) > 1:
                    raise BallotFileError(
                        fname,
                        ct.line,
                        None,
                        "papers with several contests and none named",
                        "a contest named (its Id): " + "; ".join(seen_contests)[:200],
                    )
            elif contest not in (cid, ct.value("Name")):
                continue
            by_rank: dict[int, list[int]] = {}
            options = ct.first("Options")
            for oi, opt in enumerate(options.all("Option") if options is not None else ()):
                where = f"Cvr/Contests/Contest[{ci}]/Options/Option[{oi}]"
                oid = opt.value("Id")
                if not oid:
                    raise BallotFileError(fname, opt.line, None, f"{where}: no <Id>", EXPECTED)
                value = opt.value("Value") or ""
                if not value or set(value) - {"0", "1"} or len(value) > 10_000:
                    raise BallotFileError(
                        fname,
                        opt.line,
                        None,
                        f"{where}/Value: {value[:40]!r}",
                        "digits 0 and 1, one a rank",
                    )
                if overvote_label is not None and oid == overvote_label:
                    cand_at = OVERVOTE_MARK
                else:
                    if uwi_label is not None and oid == uwi_label:
                        cand = UWI_NAME
                    else:
                        cand = (
                            alias.get(oid)
                            or alias.get(opt.value("Name") or "")
                            or (opt.value("Name") or oid)
                        )
                    if cand not in index:
                        index[cand] = len(names)
                        names.append(cand)
                    cand_at = index[cand]
                for r, bit in enumerate(value, 1):
                    if bit == "1":
                        by_rank.setdefault(r, []).append(cand_at)
            papers.append((marks_by_rank(by_rank, max_rankings), precinct))
        for key, where_p in papers:
            count(raw, key)
            if precincts is not None:
                count(precincts.setdefault(where_p, {}), key)
    if contest is not None and not any(contest in (k, v) for k, v in seen_contests.items()):
        raise BallotFileError(
            str(path),
            None,
            None,
            f"no contest {contest!r}",
            "a contest of the papers: " + "; ".join(seen_contests)[:200],
        )
    election = Election(candidates=tuple(Candidate(n) for n in names), seats=seats)
    return Profile.from_marks(election, raw, rules, source=str(path))


def sniff(head: bytes) -> bool:
    return b"<Cvr" in head[:1024] and b"CVRDesign" in head[:1024]


def read_source(source: Source, options: ReadOptions) -> Profile:
    """:func:`read_hart` as the registry calls every reader (1 seat when none is given; the
    contest named, if any)."""
    return read_hart(
        source,  # type: ignore[arg-type]
        options.ballot_rules,
        seats=options.seats or 1,
        contest=options.contest,
    )
