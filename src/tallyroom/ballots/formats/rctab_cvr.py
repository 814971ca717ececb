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
) -> dict[str, Any]:
    """The records as a NIST CDF JSON cast-vote-record report (RCTab's layout).

    ``candidates``: the declared candidates (with "Undeclared Write-ins" when a source
    declares a label for them); ``explicit_overvote``: a source names an overvote label, so
    "overvote" is a selection too (as RCTab declares it); ``generated``: the report's
    ``GeneratedDate`` (ISO 8601), left out when empty."""
    names = sorted({*candidates, *([OVERVOTE_NAME] if explicit_overvote else [])})
    declared = set(names)
    cvrs = []
    for r in records:
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
        cvrs.append(
            {
                "@type": "CVR",
                "BallotPrePrintedId": rid,
                "CVRSnapshot": [
                    {
                        "@id": f"ballot-{rid}",
                        "@type": "CVR.CVRSnapshot",
                        "CVRContest": [
                            {
                                "@type": "CVR.CVRContest",
                                "CVRContestSelection": selections,
                                "ContestId": "contest-001",
                            }
                        ],
                        "Type": "original",
                    }
                ],
                "CurrentSnapshotId": f"ballot-{rid}",
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
            }
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
