"""A demonstration organisation and an NEC-like election with fictional members, so that
a newcomer sees every page in one command (``tallyroom serve --demo``)."""

from __future__ import annotations

import csv
import io
import random
from datetime import timedelta
from typing import Any

from tallyroom.service import core
from tallyroom.service.db import iso, now

REGIONS = ("North", "Midlands", "South", "Wales", "Scotland")
FIRST = (
    "Aisha",
    "Ben",
    "Chloe",
    "Dev",
    "Efua",
    "Finn",
    "Grace",
    "Hamid",
    "Iona",
    "Jack",
    "Kemi",
    "Liam",
    "Maya",
    "Niall",
    "Olu",
    "Priya",
    "Quinn",
    "Rosa",
    "Sam",
    "Tara",
)
LAST = (
    "Adebayo",
    "Brown",
    "Chen",
    "Davies",
    "Evans",
    "Fraser",
    "Gill",
    "Hughes",
    "Iqbal",
    "Jones",
    "Khan",
    "Lewis",
    "Morgan",
    "Nwosu",
    "Owen",
    "Patel",
    "Quigley",
    "Roberts",
)


def nec_spec(opens: Any = None, closes: Any = None) -> dict[str, Any]:
    """An NEC-like ballot: 9 seats by STV with at least 4 women, a regional AV seat and a
    youth seat for members under 27 on the closing day."""
    opens = opens or now() - timedelta(minutes=1)
    closes = closes or now() + timedelta(days=7)
    rng = random.Random(2026)
    nec = [
        {
            "name": f"{rng.choice(FIRST)} {last}",
            "statement": f"Candidate statement of {last}: fictional, for the demonstration.",
            "attributes": {"gender": "woman" if i % 2 == 0 else "man"},
        }
        for i, last in enumerate(LAST[:14])
    ]
    return {
        "title": "National Executive Committee election (demonstration)",
        "rule_book": "Rule book (fictional), chapter 4, clause 2",
        "notice": "Fictional members and candidates, for trying the service.",
        "opens_at": iso(opens),
        "closes_at": iso(closes),
        "eligibility": [
            {"rule": "joined_by", "date": "2026-06-30"},
            {"rule": "paid_up_at", "date": "2026-11-01"},
            {"rule": "status", "in": ["member"]},
        ],
        "contests": [
            {
                "title": "National Executive (9 seats)",
                "rule": "scottish-stv",
                "seats": 9,
                "ballot_type": "ranked",
                "candidates": nec,
                "constraints": ["gender=woman:min=4"],
            },
            {
                "title": "North regional seat",
                "rule": "irv",
                "seats": 1,
                "ballot_type": "ranked",
                "candidates": [{"name": n} for n in ("Hana Okafor", "Ivor Pugh", "Jess Quayle")],
                "electorate": {"region": ["North"]},
            },
            {
                "title": "Youth seat",
                "rule": "fptp",
                "seats": 1,
                "ballot_type": "x",
                "max_marks": 1,
                "candidates": [{"name": n} for n in ("Kit Rowe", "Lola Sands")],
                "electorate": {"age_under": 27, "on": iso(closes)[:10]},
            },
            {
                "title": "Motion: adopt the new rule book",
                "ballot_type": "yesno",
                "rule": "fptp",
                "seats": 1,
            },
        ],
    }


def roll_csv(n: int, seed: int = 1) -> str:
    """A fictional roll of ``n`` members: some joined too late, some not paid up, some
    lapsed, some sharing an email address (sent by post), some with no email."""
    rng = random.Random(seed)
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(
        [
            "Membership No",
            "Full name",
            "Email",
            "Address",
            "Joined",
            "Paid up until",
            "Status",
            "Section",
            "Region",
            "Born",
        ]
    )
    for i in range(1, n + 1):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        email = (
            ""
            if i % 10 == 0
            else ("family@example.org" if i % 37 == 0 else f"member{i}@example.org")
        )
        w.writerow(
            [
                f"M{i:06d}",
                f"{first} {last}",
                email,
                f"{i} Example Street; Exampleton; EX{i % 90 + 1} 1AA",
                f"{rng.randint(1990, 2026)}-{rng.randint(1, 12):02d}-01",
                f"{rng.choice([2025, 2027, 2027, 2027])}-{rng.randint(1, 12):02d}-28",
                "member" if i % 50 else "lapsed",
                rng.choice(["ordinary", "youth", "retired"]),
                rng.choice(REGIONS),
                f"{rng.randint(1950, 2008)}-{rng.randint(1, 12):02d}-15",
            ]
        )
    return out.getvalue()


ROLL_MAPPING = {
    "number": "Membership No",
    "name": "Full name",
    "email": "Email",
    "address": "Address",
    "joined_on": "Joined",
    "paid_until": "Paid up until",
    "status": "Status",
    "section": "Section",
    "region": "Region",
    "birth_date": "Born",
}


def install(svc: core.Service, members: int = 200) -> dict[str, Any]:
    """The demonstration organisation, its administrator, and the NEC-like election,
    opened; returns the sign-in details and the election id."""
    email, password = "admin@demo.example", "demonstration-only"
    a = core.authenticate(svc, email, password)
    if a is None:
        a = core.create_organisation(svc, "Demonstration Party (fictional)", email, password)
    existing = core.elections(svc, a)
    if existing:
        return {"email": email, "password": password, "election": existing[0]["id"]}
    eid = core.create_election(svc, a, nec_spec())
    core.import_roll(svc, a, eid, roll_csv(members), ROLL_MAPPING, "demo-roll.csv")
    core.open_election(svc, a, eid)
    return {"email": email, "password": password, "election": eid}
