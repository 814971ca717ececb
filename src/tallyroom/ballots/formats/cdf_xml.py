"""NIST SP 1500-103 cast-vote records in XML (the CDF), as RCTab reads them -- including
Unisyn's OpenElect exports.

The file is read twice, streaming: first the ``Election`` (its ``Candidate`` and
``Contest`` elements, usually after the records) and the ``GpUnit`` precincts, then each
``CVR`` in turn, dropped once read.  For the contest counted (its ``Name`` or ``ObjectId``;
RCTab's ``contestId``), a record's current snapshot (``CurrentSnapshotId``) gives the
``CVRContestSelection`` elements; each names a ``ContestSelection`` of the contest, whose
``CandidateIds`` give the candidate (``IsWriteIn`` true, or a ``CVRWriteIn`` mark: the
undeclared write-ins).  A mark is its ``Rank`` (on the selection position, or on the
selection in the older layout); ``HasIndication`` "no" and ``IsAllocable`` "no" marks are
not read, nor a selection whose ``Status`` is ``needs-adjudication`` (RCTab's rules).
A record without the contest is not a paper of it.

Several selections at one rank are an overvote; a rank with none is skipped; the marks
are then read under the ballot rules, and identical papers merged.  A malformed record is
refused as ``file:line`` with the XML path of the element (``CVR[12]/CVRSnapshot/...``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, BinaryIO

from tallyroom.ballots.formats._ranks import OVERVOTE_MARK, count, display, marks_by_rank
from tallyroom.ballots.formats._xml import Node, stream
from tallyroom.ballots.model import BallotRules, Candidate, Election, Profile
from tallyroom.errors import BallotFileError

if TYPE_CHECKING:
    from tallyroom.ballots.formats import ReadOptions, Source

UWI_NAME = "Undeclared Write-ins"
EXPECTED = "a NIST CDF CastVoteRecordReport (XML)"
MAX_RANK = 10_000


def read_cdf_xml(
    paths: str | os.PathLike[str] | BinaryIO | Sequence[str | os.PathLike[str]],
    rules: BallotRules = BallotRules(),
    *,
    seats: int = 1,
    contest: str | None = None,
    max_rankings: int | None = None,
    aliases: Mapping[str, str] | None = None,
    overvote_label: str | None = None,
    uwi_label: str | None = None,
    precincts: dict[str, dict[tuple, int]] | None = None,
) -> Profile:
    """Read one or more CDF XML cast-vote-record reports into a ranked profile.

    ``contest`` is the contest's ``Name`` or ``ObjectId`` (without it the file must hold
    one candidate contest); ``max_rankings`` reads ranks 1 to that many; ``aliases`` maps a
    candidate's name in the file to the name it is counted under; a candidate named
    ``overvote_label`` is an overvote, one named ``uwi_label`` the undeclared write-ins.
    ``precincts``, when given, is filled with each precinct's (``GpUnit`` name) papers as
    marked.
    """
    files: list[object] = (
        [paths] if isinstance(paths, (str, os.PathLike)) or hasattr(paths, "read") else list(paths)
    )
    alias = dict(aliases or {})
    names: list[str] = []
    index: dict[str, int] = {}
    raw: dict[tuple, int] = {}
    for path in files:
        name = display(path)
        data: object = path
        if hasattr(path, "read"):
            import io

            data = io.BytesIO(path.read())  # type: ignore[attr-defined]
        _read_one(
            data, name, contest, max_rankings, alias, overvote_label, uwi_label,
            names, index, raw, precincts,
        )  # fmt: skip
    election = Election(candidates=tuple(Candidate(n) for n in names), seats=seats)
    return Profile.from_marks(election, raw, rules, source=", ".join(display(p) for p in files))


def _read_one(
    data: object,
    name: str,
    contest: str | None,
    max_rankings: int | None,
    alias: dict[str, str],
    overvote_label: str | None,
    uwi_label: str | None,
    names: list[str],
    index: dict[str, int],
    raw: dict[tuple, int],
    precincts: dict[str, dict[tuple, int]] | None,
) -> None:
    def fail(line: int | None, where: str, found: str, expected: str) -> BallotFileError:
        return BallotFileError(name, line, None, f"{where}: {found}"[:300], expected)

    # pass 1: the election (candidates, contests) and the precincts
    candidates: dict[str, str] = {}
    contests: list[Node] = []
    gp_units: dict[str, str] = {}
    roots: list[str] = []

    def first_pass(node: Node) -> None:
        if node.tag == "Election":
            for c in node.all("Candidate"):
                cid = c.attr("ObjectId")
                if cid is None:
                    raise fail(c.line, "Election/Candidate", "no ObjectId", "a candidate's id")
                candidates[cid] = c.value("Name") or cid
            contests.extend(node.all("Contest"))
        elif node.tag == "GpUnit":
            gid = node.attr("ObjectId")
            if gid is not None:
                gp_units[gid] = node.value("Name") or gid

    def check_root(node: Node) -> None:
        roots.append(node.tag)
        if node.tag != "CastVoteRecordReport":
            raise fail(node.line, "root element", f"<{node.tag}>", EXPECTED)

    rewind = getattr(data, "seek", None)
    stream(data, name, first_pass, expected=EXPECTED, root=check_root)  # type: ignore[arg-type]
    if not roots:
        raise fail(None, "document", "no root element", EXPECTED)
    candidate_contests = [
        c for c in contests if c.first("ContestSelection") is not None or contest is not None
    ]
    if contest is not None:
        hits = [c for c in contests if contest in (c.value("Name"), c.attr("ObjectId"))]
    else:
        hits = candidate_contests
    if len(hits) != 1:
        known = "; ".join(f"{c.value('Name')} ({c.attr('ObjectId')})" for c in contests) or "none"
        found = f"no contest {contest!r}" if contest and not hits else f"{len(hits)} contests"
        raise fail(None, "Election/Contest", found, f"one contest named, of: {known}"[:300])
    chosen = hits[0]
    contest_id = chosen.attr("ObjectId") or ""
    selection: dict[str, int] = {}
    for k, cs in enumerate(chosen.all("ContestSelection")):
        sid = cs.attr("ObjectId")
        where = f"Contest[{contest_id}]/ContestSelection[{k}]"
        if sid is None:
            raise fail(cs.line, where, "no ObjectId", "a selection's id")
        if (cs.value("IsWriteIn") or "").lower() == "true":
            cand = UWI_NAME
        else:
            ids = [c.text for c in cs.all("CandidateIds")]
            ids = [i for c in ids for i in c.split()]
            if not ids:
                raise fail(cs.line, where, "no CandidateIds", "the candidate of the selection")
            if ids[0] not in candidates:
                raise fail(cs.line, f"{where}/CandidateIds", repr(ids[0]), "a Candidate's ObjectId")
            cand = candidates[ids[0]]
        cand = alias.get(cand, cand)
        if uwi_label and cand == uwi_label:
            cand = UWI_NAME
        if overvote_label and cand == overvote_label:
            selection[sid] = OVERVOTE_MARK
            continue
        if cand not in index:
            index[cand] = len(names)
            names.append(cand)
        selection[sid] = index[cand]
    uwi_at: list[int] = []

    def uwi() -> int:
        if not uwi_at:
            if UWI_NAME not in index:
                index[UWI_NAME] = len(names)
                names.append(UWI_NAME)
            uwi_at.append(index[UWI_NAME])
        return uwi_at[0]

    # pass 2: the records, one at a time
    n_cvr = [0]

    def second_pass(cvr: Node) -> None:
        if cvr.tag != "CVR":
            return
        n_cvr[0] += 1
        vp = f"CVR[{n_cvr[0]}]"
        current = cvr.value("CurrentSnapshotId")
        snaps = list(cvr.all("CVRSnapshot"))
        if current is None:
            if len(snaps) > 1:
                raise fail(cvr.line, vp, "snapshots and no CurrentSnapshotId", "the current one")
            snap = snaps[0] if snaps else None
        else:
            snap = next((s for s in snaps if s.attr("ObjectId") == current), None)
            if snap is None:
                raise fail(
                    cvr.line,
                    f"{vp}/CurrentSnapshotId",
                    repr(current)[:60],
                    "the ObjectId of one of the record's CVRSnapshot elements",
                )
        if snap is None:
            return
        ct = next((c for c in snap.all("CVRContest") if c.value("ContestId") == contest_id), None)
        if ct is None:
            return  # the record holds no vote in this contest
        by_rank: dict[int, list[int]] = {}
        for li, sel in enumerate(ct.all("CVRContestSelection")):
            lp = f"{vp}/CVRSnapshot/CVRContest/CVRContestSelection[{li}]"
            if sel.value("Status") == "needs-adjudication":
                continue
            ref = sel.value("ContestSelectionId")
            if ref is None or ref not in selection:
                raise fail(
                    sel.line,
                    f"{lp}/ContestSelectionId",
                    repr(ref)[:60],
                    f"a ContestSelection of contest {contest_id}",
                )
            cand = selection[ref]
            whole_rank = sel.value("Rank")
            if whole_rank is not None:
                r = _rank(whole_rank, fail, sel.line, f"{lp}/Rank")
                by_rank.setdefault(r, []).append(cand)
                continue
            for pi, pos in enumerate(sel.all("SelectionPosition")):
                pp = f"{lp}/SelectionPosition[{pi}]"
                c = uwi() if pos.first("CVRWriteIn") is not None else cand
                if (pos.value("HasIndication") or "") == "no":
                    continue
                if (pos.value("IsAllocable") or "") == "no":
                    continue
                rank = pos.value("Rank")
                if rank is None:
                    raise fail(pos.line, f"{pp}/Rank", "no Rank", "the rank of the mark")
                by_rank.setdefault(_rank(rank, fail, pos.line, f"{pp}/Rank"), []).append(c)
        key = marks_by_rank(by_rank, max_rankings)
        count(raw, key)
        if precincts is not None:
            unit = cvr.value("BallotStyleUnitId")
            where = gp_units.get(unit, unit) if unit is not None else ""
            count(precincts.setdefault(where, {}), key)

    if rewind is not None:
        rewind(0)
    stream(data, name, second_pass, expected=EXPECTED)  # type: ignore[arg-type]


def _rank(value: str, fail, line: int, where: str) -> int:  # noqa: ANN001
    if not value.isdigit() or len(value) > 6 or int(value) < 1 or int(value) > MAX_RANK:
        raise fail(line, where, repr(value)[:40], f"a rank from 1 to {MAX_RANK:,}")
    return int(value)


def sniff(head: bytes) -> bool:
    """An XML document whose root is a CastVoteRecordReport."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    return text.startswith(b"<") and b"CastVoteRecordReport" in head[:4096]


def read_source(source: Source, options: ReadOptions) -> Profile:
    """:func:`read_cdf_xml` as the registry calls every reader (1 seat when none is given; the
    contest named, if any)."""
    return read_cdf_xml(
        source,
        options.ballot_rules,
        seats=options.seats or 1,
        contest=options.contest,
    )
