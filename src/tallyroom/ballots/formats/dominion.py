"""Dominion Democracy Suite cast-vote-record exports (JSON), as RCTab reads them.

An export is a folder: ``ContestManifest.json`` and ``CandidateManifest.json`` (each a
``List`` of ``{"Id", "Description", ...}``), ``PrecinctPortionManifest.json`` and, in newer
exports, ``PrecinctManifest.json``, and the records in ``CvrExport.json`` or in several
files ``CvrExport_1.json``, ``CvrExport_2.json`` ... (read in order of their number).  Each
file's ``Sessions`` are the papers: the ``Original`` reading, or the adjudicated
``Modified`` one when the original is not current (a session with neither is not read, as
RCTab does); each of a session's ``Cards`` holds ``Contests`` with ``Marks``
(``CandidateId``, ``Rank``, ``IsAmbiguous``).  Ambiguous marks are not read; two marks at a
rank are an overvote; a rank with none is skipped.  Each contest on a card is a paper of
that contest (RCTab's rule), unless its ``OutstackConditionIds`` hold 7, "InvalidContest"
(a partial-count ballot: the voter may not vote in that contest).

Candidates are named by their ``Description``, or by the name an alias gives their ``Id``
(RCTab's ``candidates[].aliases`` hold the Dominion ids).  The files are read one at a
time; identical papers are merged as they are read.  A malformed file is refused naming
the file and the JSON path of what was wrong (``Sessions[12].Original.Cards[0]``).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tallyroom.ballots.formats._ranks import OVERVOTE_MARK, count, marks_by_rank
from tallyroom.ballots.formats.rctab_cvr import OVERVOTE_NAME, CvrRecord
from tallyroom.ballots.model import BallotRules, Candidate, Election, Profile
from tallyroom.errors import BallotFileError

UWI_NAME = "Undeclared Write-ins"
MAX_RANK = 10_000
#: the outstack condition "InvalidContest": the voter may not vote in this contest (Alaska's
#: partial-count ballots); RCTab leaves such a contest out (BrightSpots/rcv#909, #910)
INVALID_CONTEST = 7
EXPECTED = (
    "a Dominion CVR export folder (ContestManifest.json, CandidateManifest.json, CvrExport*.json)"
)


def export_folder(path: str | os.PathLike[str]) -> Path:
    """The export's folder: the path itself, or the folder of one of its files."""
    p = Path(path)
    return p if p.is_dir() else p.parent


def cvr_files(folder: Path) -> list[Path]:
    """``CvrExport.json``, else every ``CvrExport_N.json`` in order of N."""
    single = folder / "CvrExport.json"
    if single.is_file():
        return [single]
    numbered = []
    for f in folder.iterdir():
        m = re.fullmatch(r"CvrExport_(\d{1,9})\.json", f.name)
        if m:
            numbered.append((int(m[1]), f))
    if not numbered:
        raise BallotFileError(
            str(folder), None, None, "no CvrExport.json or CvrExport_1.json", EXPECTED
        )
    return [f for _, f in sorted(numbered)]


class _Json:
    def __init__(self, name: str) -> None:
        self.name = name

    def fail(self, where: str, found: str, expected: str) -> BallotFileError:
        return BallotFileError(self.name, None, None, f"{where}: {found}"[:300], expected)

    def load(self) -> Any:
        try:
            with open(self.name, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            raise BallotFileError(self.name, None, None, "no such file", EXPECTED) from None
        except OSError as e:
            raise BallotFileError(
                self.name, None, None, e.strerror or "unreadable", EXPECTED
            ) from None
        try:
            return json.loads(data.decode("utf-8-sig"))
        except UnicodeDecodeError as e:
            raise BallotFileError(
                self.name, None, None, f"byte {e.start}: not UTF-8", "UTF-8 JSON"
            ) from None
        except json.JSONDecodeError as e:
            raise BallotFileError(self.name, e.lineno, e.colno, e.msg, "valid JSON") from None
        except (RecursionError, ValueError) as e:
            raise BallotFileError(
                self.name, None, None, str(e)[:120] or "deep nesting", "valid JSON"
            ) from None

    def obj(self, x: Any, where: str) -> dict[str, Any]:
        if not isinstance(x, dict):
            raise self.fail(where, type(x).__name__, "a JSON object")
        return x

    def arr(self, x: Any, where: str) -> list[Any]:
        if not isinstance(x, list):
            raise self.fail(where, "nothing" if x is None else type(x).__name__, "a JSON array")
        return x

    def ident(self, x: Any, where: str) -> str:
        if isinstance(x, bool) or not isinstance(x, (int, str)) or str(x) == "":
            raise self.fail(where, repr(x)[:40], "an id (a number)")
        return str(x)


def _manifest(folder: Path, name: str, required: bool = True) -> dict[str, dict[str, Any]] | None:
    path = folder / name
    if not path.is_file():
        if required:
            raise BallotFileError(str(path), None, None, "no such file", EXPECTED)
        return None
    d = _Json(str(path))
    doc = d.obj(d.load(), "top level")
    out: dict[str, dict[str, Any]] = {}
    for i, item in enumerate(d.arr(doc.get("List"), "List")):
        where = f"List[{i}]"
        item = d.obj(item, where)
        out[d.ident(item.get("Id"), f"{where}.Id")] = item
    return out


def read_dominion(
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
    batches: dict[str, dict[tuple, int]] | None = None,
    records: list[CvrRecord] | None = None,
    record_source: str = "",
) -> Profile:
    """Read a Dominion export (its folder, or any file in it) for one contest.

    ``contest`` is the contest's ``Id`` or ``Description`` (without it the export must hold
    one contest); ``uwi_label`` is the candidate id counted as the undeclared write-ins.
    ``precincts`` and ``batches``, when given, are filled with each precinct's (its
    ``PrecinctManifest`` name; ``""`` when a paper names none) and each batch's
    (``tabulator-batch``) papers as marked.  ``records``: a list filled with each paper as
    read (:class:`CvrRecord`: RCTab's id ``tabulator-batch-record``, the precinct portion's
    name), naming the export as ``record_source`` gives it.
    """
    folder = export_folder(path)
    alias = dict(aliases or {})
    contests = _manifest(folder, "ContestManifest.json")
    assert contests is not None
    if contest is not None:
        hits = [k for k, c in contests.items() if contest in (k, c.get("Description"))]
    else:
        hits = list(contests)
    if len(hits) != 1:
        known = "; ".join(f"{k} ({c.get('Description')})" for k, c in contests.items())
        found = f"no contest {contest!r}" if contest is not None else f"{len(hits)} contests"
        raise BallotFileError(
            str(folder / "ContestManifest.json"),
            None,
            None,
            found,
            f"one contest named, of: {known}"[:300],
        )
    contest_id = hits[0]
    candidates = _manifest(folder, "CandidateManifest.json")
    assert candidates is not None
    portions = _manifest(folder, "PrecinctPortionManifest.json", required=False) or {}
    precinct_names = _manifest(folder, "PrecinctManifest.json", required=False)
    names: list[str] = []
    index: dict[str, int] = {}
    code_at: dict[str, int] = {}

    def candidate(code: str, d: _Json, where: str) -> int:
        if code in code_at:
            return code_at[code]
        if uwi_label is not None and code == uwi_label:
            name = UWI_NAME
        elif overvote_label is not None and code == overvote_label:
            code_at[code] = OVERVOTE_MARK
            return OVERVOTE_MARK
        else:
            c = candidates.get(code)  # type: ignore[union-attr]
            if c is None or str(c.get("ContestId")) != contest_id:
                raise d.fail(
                    where,
                    f"candidate {code}",
                    f"a candidate of contest {contest_id} in CandidateManifest.json",
                )
            desc = str(c.get("Description") or code)
            name = alias.get(code) or alias.get(desc) or desc
        if name not in index:
            index[name] = len(names)
            names.append(name)
        code_at[code] = index[name]
        return index[name]

    for code, c in candidates.items():  # the contest's candidates, in the manifest's order
        if str(c.get("ContestId")) == contest_id and code != uwi_label:
            candidate(code, _Json("CandidateManifest.json"), "List")

    raw: dict[tuple, int] = {}
    files = cvr_files(folder)
    for f in files:
        d = _Json(str(f))
        doc = d.obj(d.load(), "top level")
        for si, session in enumerate(d.arr(doc.get("Sessions"), "Sessions")):
            sp = f"Sessions[{si}]"
            session = d.obj(session, sp)
            data = d.obj(session.get("Original"), f"{sp}.Original")
            if data.get("IsCurrent") is not True:
                if "Modified" not in session:
                    continue  # no adjudicated reading: RCTab skips the paper
                data = d.obj(session["Modified"], f"{sp}.Modified")
                sp += ".Modified"
            else:
                sp += ".Original"
            where_precinct = ""
            pid = data.get("PrecinctId")
            if pid is not None and precinct_names is not None:
                if str(pid) not in precinct_names:
                    raise d.fail(
                        f"{sp}.PrecinctId", str(pid)[:20], "a precinct of PrecinctManifest.json"
                    )
                where_precinct = str(precinct_names[str(pid)].get("Description") or pid)
            ppid = data.get("PrecinctPortionId")
            if ppid is not None and portions and str(ppid) not in portions:
                raise d.fail(
                    f"{sp}.PrecinctPortionId",
                    str(ppid)[:20],
                    "a portion of PrecinctPortionManifest.json",
                )
            cards = data["Cards"] if "Cards" in data else [data]
            for ci, card in enumerate(d.arr(cards, f"{sp}.Cards")):
                cp = f"{sp}.Cards[{ci}]"
                card = d.obj(card, cp)
                for ti, ct in enumerate(d.arr(card.get("Contests"), f"{cp}.Contests")):
                    tp = f"{cp}.Contests[{ti}]"
                    ct = d.obj(ct, tp)
                    if d.ident(ct.get("Id"), f"{tp}.Id") != contest_id:
                        continue
                    outstack = ct.get("OutstackConditionIds") or []
                    if isinstance(outstack, list) and INVALID_CONTEST in outstack:
                        continue  # a partial-count ballot: not a paper of this contest
                    by_rank: dict[int, list[int]] = {}
                    for mi, mark in enumerate(d.arr(ct.get("Marks", []), f"{tp}.Marks")):
                        mp = f"{tp}.Marks[{mi}]"
                        mark = d.obj(mark, mp)
                        if mark.get("IsAmbiguous") is True:
                            continue
                        at = candidate(
                            d.ident(mark.get("CandidateId"), f"{mp}.CandidateId"),
                            d,
                            f"{mp}.CandidateId",
                        )
                        rank = mark.get("Rank")
                        if (
                            isinstance(rank, bool)
                            or not isinstance(rank, int)
                            or not 1 <= rank <= MAX_RANK
                        ):
                            raise d.fail(
                                f"{mp}.Rank", repr(rank)[:40], f"a rank from 1 to {MAX_RANK:,}"
                            )
                        by_rank.setdefault(rank, []).append(at)
                    key = marks_by_rank(by_rank, max_rankings)
                    count(raw, key)
                    if records is not None:
                        tab, bat, rec = (
                            str(session.get(k, "")) for k in ("TabulatorId", "BatchId", "RecordId")
                        )
                        portion = portions.get(str(ppid)) if ppid is not None else None
                        records.append(
                            CvrRecord(
                                source=record_source or str(folder),
                                provider="dominion",
                                record_id=f"{tab}-{bat}-{rec}",
                                contest_id=contest_id,
                                tabulator_id=tab,
                                batch_id=bat,
                                vendor_id=rec,
                                precinct=where_precinct,
                                precinct_portion=str((portion or {}).get("Description") or ""),
                                uwi_label=uwi_label or "",
                                ranks={
                                    k: tuple(
                                        OVERVOTE_NAME if c == OVERVOTE_MARK else names[c] for c in v
                                    )
                                    for k, v in sorted(by_rank.items())
                                },
                            )
                        )
                    if precincts is not None:
                        count(precincts.setdefault(where_precinct, {}), key)
                    if batches is not None:
                        b = batches.setdefault(
                            f"{session.get('TabulatorId')}-{session.get('BatchId')}", {}
                        )
                        b[key] = b.get(key, 0) + 1
    if precincts is not None and precinct_names is None:
        precincts.clear()  # an older export: no precincts to tabulate by
    election = Election(candidates=tuple(Candidate(n) for n in names), seats=seats)
    return Profile.from_marks(election, raw, rules, source=str(folder))


def sniff(head: bytes) -> bool:
    """A CvrExport file: a JSON object with ``Sessions`` near its start."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    return text.startswith(b"{") and b'"Sessions"' in head[:2048] and b'"ElectionId"' in head[:2048]
