"""A whole council: who was elected where, and each party's votes and seats.

Counting several files (``tallyroom count council/*.blt``) opens every report with this
summary: the HTML page's first section, the text sheet's first page, and, for CSV, two
tables (``table`` = ``elected`` and ``party``) before the stage rows.  It is computed once
here, from the records alone (the party from ``party_of``, the candidates' party
attribute, else the brackets that end a name, as Scottish ballot files write it).
"""

from __future__ import annotations

import csv
import io
import math
import re
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from tallyroom.errors import printable
from tallyroom.record import CountRecord
from tallyroom.reports.csv import COLUMNS as STAGE_COLUMNS
from tallyroom.reports.csv import rows as stage_rows
from tallyroom.reports.csv import text_cell

_PARTY = re.compile(r"\(([^()]+)\)\s*$")
NO_PARTY = "(no party given)"


def party_of_name(name: str) -> str:
    """The party a name carries in brackets at its end, as Scottish ballot files write
    it ("Neil MACGREGOR (SNP)" -> "SNP"); else :data:`NO_PARTY`."""
    m = _PARTY.search(name)
    return m.group(1).strip() if m else NO_PARTY


def gallagher(votes: Mapping[str, Fraction], seats: Mapping[str, int]) -> Fraction:
    """The square of Gallagher's least-squares index, in percentage points squared:
    half the sum of the squared differences between each party's vote and seat shares."""
    v_total = sum(votes.values(), Fraction(0))
    s_total = sum(seats.values())
    if not v_total or not s_total:
        return Fraction(0)
    parties = set(votes) | set(seats)
    return (
        sum(
            (
                (
                    Fraction(votes.get(p, 0)) * 100 / v_total
                    - Fraction(seats.get(p, 0) * 100, s_total)
                )
                ** 2
                for p in parties
            ),
            Fraction(0),
        )
        / 2
    )


def root(square: Fraction, places: int = 2) -> str:
    """The square root of ``square``, rounded half up to ``places``, computed exactly."""
    scale = 10 ** (2 * (places + 1))
    r = math.isqrt(math.floor(square * scale))  # root at places + 1 decimals, truncated
    r = (r + 5) // 10
    whole, frac = divmod(r, 10**places)
    return f"{whole}.{frac:0{places}d}"


@dataclass(frozen=True)
class Elected:
    name: str
    party: str
    #: first-preference votes (or votes), None when the rule gives none
    votes: Fraction | None
    #: the stage (round) at which they were elected
    stage: int


@dataclass(frozen=True)
class Ward:
    name: str
    source: str
    seats: int
    elected: tuple[Elected, ...]
    valid: Fraction
    places: int


@dataclass(frozen=True)
class PartyTotal:
    party: str
    candidates: int
    votes: Fraction
    seats: int


@dataclass(frozen=True)
class Council:
    wards: tuple[Ward, ...]
    #: most seats first, then most votes, then by name
    parties: tuple[PartyTotal, ...]
    places: int

    @property
    def seats(self) -> int:
        return sum(w.seats for w in self.wards)

    @property
    def votes(self) -> Fraction:
        return sum((p.votes for p in self.parties), Fraction(0))

    @property
    def candidates(self) -> int:
        return sum(p.candidates for p in self.parties)

    @property
    def gallagher(self) -> str:
        """Gallagher's index (first-preference vote shares against seat shares), 2 places."""
        return root(
            gallagher(
                {p.party: p.votes for p in self.parties}, {p.party: p.seats for p in self.parties}
            )
        )


def council(records: Sequence[CountRecord], party_of: Mapping[str, str] | None = None) -> Council:
    """The summary of several counts (a council's wards)."""
    # the HTML report's figures, imported here: its package imports this module
    from tallyroom.reports.html.tables import first_votes
    from tallyroom.reports.html.words import election_name, figure_places

    def party(n: str) -> str:
        if party_of and party_of.get(n):
            return party_of[n]
        return party_of_name(n)

    votes: dict[str, Fraction] = {}
    seats: dict[str, int] = {}
    candidates: dict[str, int] = {}
    wards = []
    for r in records:
        _, fv = first_votes(r)
        when = r.election_reasons()
        for n in r.candidates:
            candidates[party(n)] = candidates.get(party(n), 0) + 1
        for n, v in fv.items():
            votes[party(n)] = votes.get(party(n), Fraction(0)) + v
        for n in r.elected:
            seats[party(n)] = seats.get(party(n), 0) + 1
        wards.append(
            Ward(
                name=election_name(r),
                source=r.source,
                seats=r.seats,
                elected=tuple(
                    Elected(n, party(n), fv.get(n), when.get(n, (0, ""))[0]) for n in r.elected
                ),
                valid=r.valid,
                places=figure_places(r),
            )
        )
    order = sorted(
        set(votes) | set(seats) | set(candidates),
        key=lambda p: (-seats.get(p, 0), -votes.get(p, 0), p),
    )
    return Council(
        wards=tuple(wards),
        parties=tuple(
            PartyTotal(p, candidates.get(p, 0), votes.get(p, Fraction(0)), seats.get(p, 0))
            for p in order
        ),
        places=max((figure_places(r) for r in records), default=0),
    )


PARTY_NOTE = (
    "A party is read from the candidates' party attribute where the ballot file or a "
    "--candidates file gives one, else from the brackets at the end of the name."
)


def text(records: Sequence[CountRecord], party_of: Mapping[str, str] | None = None) -> str:
    """The council's summary as a text sheet (80 columns), before the wards' own sheets."""
    from tallyroom.reports.html.words import fmt_count, percent

    c = council(records, party_of)
    orgs = {r.organisation for r in records}
    org = orgs.pop() if len(orgs) == 1 else ""
    head = (
        f"{org}: results of {len(records)} elections"
        if org
        else (f"Results of {len(records)} elections")
    )
    out = [head, "=" * len(head), "", f"{len(records)} elections, {c.seats} seats.", ""]
    out += ["Who was elected where", "---------------------"]
    for w in c.wards:
        out += textwrap.wrap(
            f"{w.name} ({w.seats} seat{'s' if w.seats != 1 else ''}, valid poll "
            f"{fmt_count(w.valid, w.places)})",
            80,
            subsequent_indent="    ",
        )
        for e in w.elected:
            votes = "" if e.votes is None else f" ({fmt_count(e.votes, w.places)})"
            out += textwrap.wrap(
                f"{e.name}{votes}", 78, initial_indent="  ", subsequent_indent="    "
            )
    out += ["", "Parties: first-preference votes and seats", ""]
    rows = [("Party", "Candidates", "Votes", "Share", "Seats", "Share")]
    for p in c.parties:
        rows.append(
            (
                p.party,
                str(p.candidates),
                fmt_count(p.votes, c.places),
                percent(p.votes, c.votes),
                str(p.seats),
                percent(p.seats, c.seats),
            )
        )
    rows.append(
        ("Total", str(c.candidates), fmt_count(c.votes, c.places), "100.0%", str(c.seats), "100.0%")
    )
    first = min(max(len(r[0]) for r in rows), 30)
    widths = [max(len(r[k]) for r in rows) for k in range(1, 6)]
    for k, r in enumerate(rows):
        name = r[0] if len(r[0]) <= first else r[0][: first - 3] + "..."
        cells = "  ".join(v.rjust(w) for v, w in zip(r[1:], widths))
        out.append(f"{name.ljust(first)}  {cells}")
        if k == 0 or k == len(rows) - 2:
            out.append("-" * (first + 2 + sum(widths) + 2 * (len(widths) - 1)))
    out.append("")
    out += textwrap.wrap(
        "Gallagher index of disproportionality (first-preference vote shares against "
        f"seat shares): {c.gallagher}.",
        80,
    )
    out += textwrap.wrap(PARTY_NOTE, 80)
    return "\n".join(printable(line) for line in out) + "\n"


#: the columns of a council's CSV: ``table`` says what a row is (``elected``, ``party``,
#: ``total``, ``gallagher``, then ``stage`` for each ward's stage rows, whose columns are
#: those of a single count's CSV, :data:`tallyroom.reports.csv.COLUMNS`)
COLUMNS = ["table", "election", *STAGE_COLUMNS, "party", "seats", "valid", "candidates",
           "vote_share", "seat_share"]  # fmt: skip


def rows(records: Sequence[CountRecord], party_of: Mapping[str, str] | None = None) -> str:
    """A council as one CSV table: an ``elected`` row per seat filled (the election, its
    file, rule, the candidate, party, first-preference votes as ``total``, seats, valid
    poll), a ``party`` row per party (candidates, votes, seats and both shares), a
    ``total`` row and a ``gallagher`` row (the index as ``total``); then every ward's stage
    rows (``table`` = ``stage``), as a single count's CSV gives them."""
    from tallyroom.reports.html.words import fmt_count, percent

    c = council(records, party_of)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    blank = {k: "" for k in COLUMNS}

    def row(**cells: object) -> None:
        w.writerow([cells.get(k, v) for k, v in blank.items()])

    for r, ward in zip(records, c.wards):
        for e in ward.elected:
            row(
                table="elected",
                election=text_cell(ward.name),
                source=text_cell(ward.source),
                method=text_cell(r.method),
                stage=e.stage or "",
                candidate=text_cell(e.name),
                total="" if e.votes is None else fmt_count(e.votes, ward.places),
                status="elected",
                party=text_cell(e.party),
                seats=ward.seats,
                valid=fmt_count(ward.valid, ward.places),
            )
    for p in c.parties:
        row(
            table="party",
            party=text_cell(p.party),
            total=fmt_count(p.votes, c.places),
            seats=p.seats,
            candidates=p.candidates,
            vote_share=percent(p.votes, c.votes).rstrip("%"),
            seat_share=percent(p.seats, c.seats).rstrip("%"),
        )
    row(
        table="total",
        total=fmt_count(c.votes, c.places),
        seats=c.seats,
        candidates=c.candidates,
        vote_share="100.0",
        seat_share="100.0",
    )
    row(table="gallagher", total=c.gallagher)
    for r, ward in zip(records, c.wards):
        for cells in list(csv.reader(io.StringIO(stage_rows(r, header=False)))):
            row(table="stage", election=text_cell(ward.name), **dict(zip(STAGE_COLUMNS, cells)))
    return buf.getvalue()
