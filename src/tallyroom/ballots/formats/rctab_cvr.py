"""Cast-vote records one by one, as cast, and RCTab's two conversions of them.

A profile keeps papers merged and after the ballot rules; RCTab's conversions write every
record as it was read: its ids, tabulator, batch, precinct, and at each rank the candidates
marked there (an overvote lists them all), with no ballot rule applied.  The CVR readers
(``read_ess``, ``read_cdf_json``, ``read_dominion``) fill a list of :class:`CvrRecord`
when given one (``records=[]``), as they read.

* :func:`write_rctab_cvr_csv`: RCTab's own CSV CVR ("rctab_cvr.csv": ``Source Filepath``,
  ``CVR Provider``, ``Contest Id``, ``RCTab CVR Id``, ``Tabulator Id``, ``Batch Id``,
  ``Vendor Id``, ``Precinct``, ``Precinct Portion``, ``Rank 1`` ...; a rank with no mark is
  ``undervote``, the candidates of an overvote one per line in the cell, an undeclared
  write-in under its source's label).
* :func:`cdf_cvr_report`: a NIST CDF (SP 1500-103) JSON ``CastVoteRecordReport`` with each
  record's ``original`` snapshot, laid out as RCTab writes it (ids ``election-001``,
  ``contest-001``, ``c-``/``cs-`` and the candidate's name, ``ballot-`` and the record id).
  One difference, on purpose: RCTab names the selection a record marks by the candidate as
  the CVR spelt it (a Dominion code, ``cs-9``; an alias, ``cs-candidate_a_name_file_2``),
  which is no ``ContestSelection`` of its own ``Election``; here it is the declared
  candidate's selection, as the CDF requires of a ``ContestSelectionId``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

#: how a record names the undeclared write-ins and an explicit overvote (RCTab's labels)
UWI_NAME = "Undeclared Write-ins"
OVERVOTE_NAME = "overvote"


@dataclass(frozen=True)
class CvrRecord:
    """One cast-vote record as read: ids and, per rank (1, 2 ...), the candidates marked
    (declared names, :data:`UWI_NAME`, :data:`OVERVOTE_NAME`)."""

    source: str  # the source's file path as the configuration gives it
    provider: str  # RCTab's provider name: ess, cdf, dominion ...
    record_id: str  # RCTab's CVR id
    ranks: Mapping[int, tuple[str, ...]] = field(default_factory=dict)
    contest_id: str = ""
    tabulator_id: str = ""
    batch_id: str = ""
    vendor_id: str = ""
    precinct: str = ""
    precinct_portion: str = ""
    uwi_label: str = ""  # the source's undeclaredWriteInLabel (written back in the CSV)


RCTAB_CSV_HEADER = (
    "Source Filepath",
    "CVR Provider",
    "Contest Id",
    "RCTab CVR Id",
    "Tabulator Id",
    "Batch Id",
    "Vendor Id",
    "Precinct",
    "Precinct Portion",
)


def write_rctab_cvr_csv(records: Iterable[CvrRecord], max_rank: int) -> str:
    """RCTab's CSV CVR of ``records``, ranks 1 to ``max_rank`` (RCTab's maxRankingsAllowed,
    or the number of declared candidates for ``max``), one line per record."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow([*RCTAB_CSV_HEADER, *(f"Rank {k}" for k in range(1, max_rank + 1))])
    for r in records:
        cells = []
        for k in range(1, max_rank + 1):
            at = r.ranks.get(k)
            if not at:
                cells.append("undervote")
            else:
                cells.append("\n".join(r.uwi_label if n == UWI_NAME else n for n in at))
        w.writerow(
            [
                r.source,
                r.provider,
                r.contest_id,
                r.record_id,
                r.tabulator_id,
                r.batch_id,
                r.vendor_id,
                r.precinct,
                r.precinct_portion,
                *cells,
            ]
        )
    return out.getvalue()


def sanitize(text: str) -> str:
    """RCTab's id-safe form of a name: every character but ``A-Za-z0-9_-.`` becomes ``_``."""
    return re.sub(r"[^a-zA-Z0-9_\-.]", "_", text)


def _selection_id(name: str) -> str:
    return "cs-" + sanitize(name).lower()


def _candidate_id(name: str) -> str:
    return "c-" + sanitize(name).lower()


def cdf_cvr_report(
    records: Iterable[CvrRecord],
    candidates: Sequence[str],
    *,
    contest_name: str,
    jurisdiction: str,
    explicit_overvote: bool = False,
    generated: str = "",
    rounds: Sequence[Sequence[Mapping[str, Any]]] | None = None,
    places: int = 4,
    precinct_order: Sequence[str] | None = None,
) -> dict[str, Any]:
    """The records as a NIST CDF JSON cast-vote-record report (RCTab's layout).

    ``candidates``: the declared candidates (with "Undeclared Write-ins" when a source
    declares a label for them); ``explicit_overvote``: a source names an overvote label, so
    "overvote" is a selection too (as RCTab declares it); ``generated``: the report's
    ``GeneratedDate`` (ISO 8601), left out when empty.

    ``rounds``: for each record, for each round of the count, the part of the paper each
    candidate holds (a Fraction; none when exhausted): RCTab's tabulation writes, after the
    ``original`` snapshot, an ``interpreted`` one per round ("...-round-k", the record's
    current snapshot the last), each mark ``IsAllocable`` "yes" where the paper (or a part
    of it: ``FractionalVotes``, at ``places`` decimals, ``NumberVotes`` 0) counts that
    round, "no" elsewhere.

    ``precinct_order``: with RCTab's tabulateByPrecinct, the precincts as its GpUnits list
    them (``gpu-1`` ...); each record then names its precinct (``BallotStyleUnitId``)."""
    unit_of = {p: f"gpu-{i}" for i, p in enumerate(precinct_order or (), 1)}
    names = sorted({*candidates, *([OVERVOTE_NAME] if explicit_overvote else [])})
    declared = set(names)
    cvrs = []
    for j, r in enumerate(records):
        first: dict[str, int] = {}
        ranks_of: dict[str, list[int]] = {}
        for k in sorted(r.ranks):
            for n in r.ranks[k]:
                if n not in declared:
                    raise ValueError(f"record {r.record_id}: {n!r} is not a declared candidate")
                ranks_of.setdefault(n, []).append(k)
                first.setdefault(n, k)
        selections = [
            {
                "@type": "CVR.CVRContestSelection",
                "ContestSelectionId": _selection_id(n),
                "SelectionPosition": [
                    {
                        "@type": "CVR.SelectionPosition",
                        "HasIndication": "yes",
                        "IsAllocable": "unknown",
                        "NumberVotes": 1,
                        "Rank": k,
                    }
                    for k in ranks_of[n]
                ],
            }
            # by the best rank, then by name (RCTab's getCandidatesWithRanksList)
            for n in sorted(ranks_of, key=lambda n: (first[n], n))
        ]
        rid = sanitize(r.record_id)

        def snapshot(sid: str, kind: str, sel: list[dict[str, Any]]) -> dict[str, Any]:
            return {
                "@id": sid,
                "@type": "CVR.CVRSnapshot",
                "CVRContest": [
                    {
                        "@type": "CVR.CVRContest",
                        "CVRContestSelection": sel,
                        "ContestId": "contest-001",
                    }
                ],
                "Type": kind,
            }

        snaps = [snapshot(f"ballot-{rid}", "original", selections)]
        for k, held in enumerate(rounds[j] if rounds is not None else (), 1):
            snaps.append(
                snapshot(
                    f"ballot-{rid}-round-{k}", "interpreted", _interpreted(selections, held, places)
                )
            )
        cvrs.append(
            {
                "@type": "CVR",
                "BallotPrePrintedId": rid,
                **({"BallotStyleUnitId": unit_of[r.precinct]} if unit_of else {}),
                "CVRSnapshot": snaps,
                "CurrentSnapshotId": snaps[-1]["@id"],
                "ElectionId": "election-001",
            }
        )
    report: dict[str, Any] = {
        "@type": "CVR.CastVoteRecordReport",
        "CVR": cvrs,
        "Election": [
            {
                "@id": "election-001",
                "@type": "Election",
                "Candidate": [{"@id": _candidate_id(n), "Name": n} for n in names],
                "Contest": [
                    {
                        "@id": "contest-001",
                        "@type": "CandidateContest",
                        "ContestSelection": [
                            {
                                "@id": _selection_id(n),
                                "@type": "ContestSelection",
                                "CandidateIds": [_candidate_id(n)],
                            }
                            for n in names
                        ],
                        "Name": contest_name,
                    }
                ],
                "ElectionScopeId": "gpu-election",
            }
        ],
        "GpUnit": [
            {
                "@id": "gpu-election",
                "@type": "GpUnit",
                "Name": jurisdiction,
                "OtherType": "Election Scope Jurisdiction",
                "Type": "other",
            },
            *(
                {"@id": unit, "@type": "GpUnit", "Name": p, "Type": "precinct"}
                for p, unit in unit_of.items()
            ),
        ],
        "ReportGeneratingDeviceIds": ["rd-001"],
        "ReportingDevice": [
            {
                "@id": "rd-001",
                "@type": "CVR.ReportingDevice",
                "Application": "tallyroom",
                "Manufacturer": "tallyroom",
            }
        ],
        "Version": "1.0.0",
    }
    if generated:
        report["GeneratedDate"] = generated
    return report


def write_cdf_json(profile: Any, out: Any) -> None:
    """A profile as a NIST CDF JSON cast-vote-record report, a CVR per paper (a paper of
    weight w written w times, numbered 1, 2 ...; equal rankings as several selections at
    one rank; a blank paper as a CVR with no selection).  Other invalid papers are not
    written: a profile keeps no marks for them."""
    import json

    names = profile.election.names
    records: list[CvrRecord] = []
    for ballot, weight in zip(profile.ballots, profile.weights):
        if weight != int(weight) or weight < 0:
            raise ValueError(f"weight {weight}: CDF cast-vote records are whole papers")
        ranks = {
            k: tuple(names[c] for c in (pref if isinstance(pref, tuple) else (pref,)))
            for k, pref in enumerate(ballot, 1)
        }
        for _ in range(int(weight)):
            records.append(CvrRecord("", "", str(len(records) + 1), ranks))
    for _ in range(int(profile.invalid.get("blank", 0))):
        records.append(CvrRecord("", "", str(len(records) + 1)))
    e = profile.election
    report = cdf_cvr_report(
        records, names, contest_name=e.title or "contest", jurisdiction=e.organisation
    )
    out.write(json.dumps(report, indent=2, ensure_ascii=False) + "\n")


def _interpreted(
    selections: list[dict[str, Any]], held: Mapping[str, Any], places: int
) -> list[dict[str, Any]]:
    """A round's snapshot of a record's marks: where the paper counts, and how much."""
    by_id = {_selection_id(n): v for n, v in held.items() if v}
    out = []
    for sel in selections:
        value = by_id.get(sel["ContestSelectionId"])
        positions = []
        for i, pos in enumerate(sel["SelectionPosition"]):
            q = dict(pos)
            # a candidate ranked again counts at the best rank only (RCTab: "no" at the rest)
            q["IsAllocable"] = "yes" if value is not None and i == 0 else "no"
            if value is not None and i == 0 and value != 1:
                q["FractionalVotes"] = _fractional(value, places)
                q["NumberVotes"] = 0
            positions.append(dict(sorted(q.items())))
        out.append({**sel, "SelectionPosition": positions})
    return out


def _fractional(value: Any, places: int) -> str:
    """A part of a paper as RCTab writes it (BigDecimal at the count's places, no leading
    zero: ".9063")."""
    from fractions import Fraction

    v = Fraction(value)
    scaled = v * 10**places
    if scaled.denominator != 1:
        raise ValueError(f"{v} is not a number of {places} decimals")
    digits = str(abs(scaled.numerator)).rjust(places + 1, "0")
    whole = digits[:-places].lstrip("0")
    return ("-" if v < 0 else "") + f"{whole}.{digits[-places:]}"
