"""NIST SP 1500-103 Cast Vote Record Common Data Format (CDF), JSON form, as RCTab reads it.

Only what a ranked count needs: the candidates of one contest (``Election[].Contest[]``
with ``ContestSelection[].CandidateIds``) and, per ``CVR``, the current snapshot's
``CVRContestSelection[].SelectionPosition[]`` with ``Rank`` and ``HasIndication``.
Several selections at one rank are an overvote; a rank with none is skipped.  The marks
are then read by :func:`~tallyroom.ballots.model.clean_ranking` under the given rules.

A file that is not what the schema says is refused with a
:class:`~tallyroom.errors.BallotFileError` naming the JSON path of what was wrong
(``CVR[3].CVRSnapshot[0].CVRContest[0]``), never a raw ``KeyError`` or ``TypeError``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from typing import Any, BinaryIO

from tallyroom.ballots.formats.rctab_cvr import CvrRecord
from tallyroom.ballots.model import (
    BallotRules,
    Candidate,
    Election,
    Preference,
    Profile,
    Weight,
)
from tallyroom.errors import BallotFileError

#: without ``max_rankings``, a rank above this is refused (the work is bounded by it)
MAX_RANK = 10_000


class _Doc:
    """Typed access to a parsed document, refusing what the schema does not allow."""

    def __init__(self, name: str) -> None:
        self.name = name

    def fail(self, path: str, found: str, expected: str) -> BallotFileError:
        return BallotFileError(self.name, None, None, f"{path}: {found}"[:200], expected)

    def obj(self, x: Any, path: str) -> dict[str, Any]:
        if not isinstance(x, dict):
            raise self.fail(path, f"a {_kind(x)}", "a JSON object")
        return x

    def arr(self, parent: dict[str, Any], key: str, path: str) -> list[Any]:
        x = parent.get(key, [])
        if not isinstance(x, list):
            raise self.fail(f"{path}.{key}", f"a {_kind(x)}", "a JSON array")
        return x

    def text(self, parent: dict[str, Any], key: str, path: str, default: str | None = None) -> str:
        x = parent.get(key, default)
        if not isinstance(x, str):
            found = "nothing" if x is None else f"a {_kind(x)}"
            raise self.fail(f"{path}.{key}", found, "a string")
        return x


def _display(path: Any) -> str:
    if hasattr(path, "read"):
        return str(getattr(path, "name", "<stream>"))
    return os.fspath(path)


def _kind(x: Any) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}.get(
        type(x), "number"
    )


def _load(name: str, stream: Any = None) -> Any:
    try:
        if stream is not None:
            data = stream.read()
        else:
            with open(name, "rb") as f:
                data = f.read()
    except FileNotFoundError:
        raise BallotFileError(
            name, None, None, "no such file", "a CDF JSON cast-vote record"
        ) from None
    except OSError as e:
        raise BallotFileError(
            name, None, None, e.strerror or "unreadable", "a readable file"
        ) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise BallotFileError(
            name, None, None, f"byte {e.start}: not UTF-8", "a UTF-8 JSON file"
        ) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise BallotFileError(name, e.lineno, e.colno, e.msg, "valid JSON") from None
    except RecursionError:
        raise BallotFileError(
            name, None, None, "arrays or objects nested too deeply", "a CDF JSON document"
        ) from None
    except ValueError as e:  # e.g. an integer past Python's digit limit
        raise BallotFileError(name, None, None, str(e)[:120], "valid JSON numbers") from None


def read_cdf_json(
    paths: str | os.PathLike[str] | BinaryIO | Sequence[str | os.PathLike[str]],
    rules: BallotRules = BallotRules(),
    *,
    seats: int = 1,
    contest: str | None = None,
    max_rankings: int | None = None,
    aliases: Mapping[str, str] | None = None,
    records: list[CvrRecord] | None = None,
    record_sources: Sequence[str] = (),
) -> Profile:
    """Read one or more CDF JSON cast-vote-record reports into a ranked profile.

    ``contest`` is a contest's ``@id`` or ``Name`` (RCTab's ``contestId``; without it the
    first contest); ``max_rankings`` reads ranks 1 to that many (RCTab's
    ``maxRankingsAllowed``); ``aliases`` maps a candidate's name in the file to the name
    it is counted under (RCTab's ``candidates[].aliases``).  ``records``: a list filled
    with each CVR as read (:class:`CvrRecord`: RCTab's id ``<file name>(<BallotPrePrintedId>)``),
    each naming its file as ``record_sources`` gives it (by default, as read).
    """
    files: list[Any] = (
        [paths] if isinstance(paths, (str, os.PathLike)) or hasattr(paths, "read") else list(paths)
    )
    if max_rankings is not None and (
        isinstance(max_rankings, bool) or not isinstance(max_rankings, int) or max_rankings < 1
    ):
        raise BallotFileError(
            ", ".join(_display(p) for p in files),
            None,
            None,
            f"max rankings {max_rankings!r}",
            "a number of ranks of 1 or more",
        )
    alias = dict(aliases or {})
    names: list[str] = []
    index: dict[str, int] = {}
    raw: dict[tuple, Weight] = {}
    for fi, path in enumerate(files):
        stream = path if hasattr(path, "read") else None
        name = _display(path)
        d = _Doc(name)
        doc = _load(name, stream)
        if not isinstance(doc, dict) or "CVR" not in doc or "Election" not in doc:
            raise BallotFileError(
                name, None, None, "no CVR or Election key", "a CDF CastVoteRecordReport"
            )
        cand_name: dict[str, str] = {}
        elections = d.arr(doc, "Election", "")
        for i, e in enumerate(elections):
            ep = f"Election[{i}]"
            for j, c in enumerate(d.arr(d.obj(e, ep), "Candidate", ep)):
                cp = f"{ep}.Candidate[{j}]"
                cid = d.text(d.obj(c, cp), "@id", cp)
                cand_name[cid] = d.text(c, "Name", cp, cid)
        selection: dict[str, str] = {}
        contests: list[tuple[str, str]] = []
        for i, e in enumerate(elections):
            ep = f"Election[{i}]"
            for j, ct in enumerate(d.arr(e, "Contest", ep)):
                tp = f"{ep}.Contest[{j}]"
                tid = d.text(d.obj(ct, tp), "@id", tp)
                contests.append((tid, d.text(ct, "Name", tp, tid)))
                for k, cs in enumerate(d.arr(ct, "ContestSelection", tp)):
                    sp = f"{tp}.ContestSelection[{k}]"
                    sid = d.text(d.obj(cs, sp), "@id", sp)
                    ids = d.arr(cs, "CandidateIds", sp)
                    if len(ids) == 1:
                        if not isinstance(ids[0], str):
                            raise d.fail(f"{sp}.CandidateIds[0]", f"a {_kind(ids[0])}", "a string")
                        cand = cand_name.get(ids[0], ids[0])
                        selection[sid] = alias.get(cand, cand)
        wanted: str | None
        if contest:
            hits = [tid for tid, tname in contests if contest in (tid, tname)]
            if not hits:
                known = ", ".join(f"{tid} ({tname})" for tid, tname in contests) or "none"
                raise BallotFileError(
                    name,
                    None,
                    None,
                    f"no contest {contest!r}",
                    f"one of the file's contests: {known}",
                )
            wanted = hits[0]
        else:
            wanted = contests[0][0] if contests else None
        for cand in selection.values():
            if cand not in index:
                index[cand] = len(names)
                names.append(cand)
        for n, cvr in enumerate(d.arr(doc, "CVR", ""), 1):
            vp = f"CVR[{n - 1}]"
            d.obj(cvr, vp)
            current = cvr.get("CurrentSnapshotId")
            by_rank: dict[int, list[int]] = {}
            for si, snap in enumerate(d.arr(cvr, "CVRSnapshot", vp)):
                sp = f"{vp}.CVRSnapshot[{si}]"
                if current is not None and d.obj(snap, sp).get("@id") != current:
                    continue
                for ci, ct in enumerate(d.arr(d.obj(snap, sp), "CVRContest", sp)):
                    tp = f"{sp}.CVRContest[{ci}]"
                    if wanted is not None and d.obj(ct, tp).get("ContestId") != wanted:
                        continue
                    for li, sel in enumerate(d.arr(ct, "CVRContestSelection", tp)):
                        lp = f"{tp}.CVRContestSelection[{li}]"
                        ref = d.obj(sel, lp).get("ContestSelectionId")
                        if not isinstance(ref, str) or ref not in selection:
                            raise d.fail(
                                f"{lp}.ContestSelectionId",
                                repr(ref)[:60],
                                "a selection of a named candidate",
                            )
                        for pi, pos in enumerate(d.arr(sel, "SelectionPosition", lp)):
                            pp = f"{lp}.SelectionPosition[{pi}]"
                            if d.obj(pos, pp).get("HasIndication", "yes") != "yes":
                                continue
                            rank = _rank(d, pos.get("Rank"), f"{pp}.Rank", max_rankings)
                            if max_rankings is not None and rank > max_rankings:
                                continue  # RCTab reads ranks 1..maxRankingsAllowed
                            by_rank.setdefault(rank, []).append(index[selection[ref]])
            top = max(by_rank, default=0)
            marks: list[Preference | None] = []
            for r in range(1, top + 1):
                got = by_rank.get(r)
                if not got:
                    marks.append(None)
                elif len(got) == 1:
                    marks.append(got[0])
                else:
                    marks.append(tuple(got))
            key = tuple(marks)
            raw[key] = raw.get(key, 0) + 1
            if records is not None:
                supplied = str(cvr.get("BallotPrePrintedId") or n)
                records.append(
                    CvrRecord(
                        source=record_sources[fi] if fi < len(record_sources) else name,
                        provider="cdf",
                        record_id=f"{os.path.basename(name)}({supplied})",
                        vendor_id=supplied,
                        ranks={k: tuple(names[c] for c in v) for k, v in sorted(by_rank.items())},
                    )
                )
    election = Election(candidates=tuple(Candidate(n) for n in names), seats=seats)
    return Profile.from_marks(election, raw, rules, source=", ".join(_display(p) for p in files))


def _rank(d: _Doc, value: Any, path: str, max_rankings: int | None) -> int:
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 9:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise d.fail(path, repr(value)[:40], "a rank of 1 or more")
    if max_rankings is None and value > MAX_RANK:
        raise d.fail(path, str(value)[:40], f"a rank of at most {MAX_RANK:,}")
    return value
