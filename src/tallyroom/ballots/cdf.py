"""NIST SP 1500-103 Cast Vote Record Common Data Format (CDF), JSON form, as RCTab reads it.

Only what a ranked count needs: the candidates of one contest (``Election[].Contest[]``
with ``ContestSelection[].CandidateIds``) and, per ``CVR``, the current snapshot's
``CVRContestSelection[].SelectionPosition[]`` with ``Rank`` and ``HasIndication``.
Several selections at one rank are an overvote; a rank with none is skipped.  The marks
are then read by :func:`~tallyroom.ballots.model.clean_ranking` under the given rules.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence

from tallyroom.ballots.model import (
    BallotRules,
    Candidate,
    Election,
    Preference,
    Profile,
    Weight,
)
from tallyroom.errors import BallotFileError


def read_cdf_json(
    paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    rules: BallotRules = BallotRules(),
    *,
    seats: int = 1,
    contest: str | None = None,
    max_rankings: int | None = None,
) -> Profile:
    """Read one or more CDF JSON cast-vote-record reports into a ranked profile."""
    files = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    names: list[str] = []
    index: dict[str, int] = {}
    raw: dict[tuple, Weight] = {}
    for path in files:
        name = os.fspath(path)
        try:
            with open(name, encoding="utf-8") as f:
                doc = json.load(f)
        except FileNotFoundError:
            raise BallotFileError(
                name, None, None, "no such file", "a CDF JSON cast-vote record"
            ) from None
        except json.JSONDecodeError as e:
            raise BallotFileError(name, e.lineno, e.colno, e.msg, "valid JSON") from None
        if not isinstance(doc, dict) or "CVR" not in doc or "Election" not in doc:
            raise BallotFileError(
                name, None, None, "no CVR or Election key", "a CDF CastVoteRecordReport"
            )
        cand_name = {
            c["@id"]: c.get("Name", c["@id"])
            for e in doc["Election"]
            for c in e.get("Candidate", [])
        }
        selection: dict[str, str] = {}
        contest_ids: list[str] = []
        for el in doc["Election"]:
            for ct in el.get("Contest", []):
                contest_ids.append(ct["@id"])
                for cs in ct.get("ContestSelection", []):
                    ids = cs.get("CandidateIds") or []
                    if len(ids) == 1:
                        selection[cs["@id"]] = cand_name.get(ids[0], ids[0])
        for cand in selection.values():
            if cand not in index:
                index[cand] = len(names)
                names.append(cand)
        wanted = contest or (contest_ids[0] if contest_ids else None)
        for n, cvr in enumerate(doc["CVR"], 1):
            current = cvr.get("CurrentSnapshotId")
            snaps = [
                s for s in cvr.get("CVRSnapshot", []) if current is None or s.get("@id") == current
            ]
            by_rank: dict[int, list[int]] = {}
            for snap in snaps:
                for ct in snap.get("CVRContest", []):
                    if wanted is not None and ct.get("ContestId") != wanted:
                        continue
                    for sel in ct.get("CVRContestSelection", []):
                        sid = sel.get("ContestSelectionId")
                        if sid not in selection:
                            raise BallotFileError(
                                name,
                                None,
                                None,
                                f"CVR {n}: selection {sid!r}",
                                "a selection of a named candidate",
                            )
                        for pos in sel.get("SelectionPosition", []):
                            if pos.get("HasIndication", "yes") != "yes":
                                continue
                            rank = int(pos["Rank"])
                            by_rank.setdefault(rank, []).append(index[selection[sid]])
            top = max(by_rank, default=0)
            if max_rankings is not None:
                top = min(top, max_rankings)
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
    election = Election(candidates=tuple(Candidate(n) for n in names), seats=seats)
    return Profile.from_marks(election, raw, rules, source=", ".join(os.fspath(p) for p in files))
