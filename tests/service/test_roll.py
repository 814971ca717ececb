"""The roll: eligibility rules evaluated in the system (each exclusion counted by its rule),
ballot styles (contests with their own electorates), the email-or-post channel rule, and
per-row errors that refuse the whole file. The expected numbers are worked out by hand
from the rows written here."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tallyroom.service import core, schema

from .conftest import admin_of, roll_text, spec

# nine members, each written to test one thing (the comment says which)
ROWS = [
    # eligible everywhere; North; born 2000-12-09: 26 on 2026-12-08, 26 on 2026-12-09? no:
    # 2026-12-09 is the 26th birthday, so 26 on that day (under 27)
    {"number": "1", "name": "Ann", "email": "ann@example.org", "joined_on": "2020-01-01",
     "paid_until": "2027-01-01", "region": "North", "birth_date": "2000-12-09"},
    # joined the day after the cut-off: excluded by joined_by only
    {"number": "2", "name": "Bob", "email": "bob@example.org", "joined_on": "2026-07-01",
     "paid_until": "2027-01-01", "region": "South", "birth_date": "1980-01-01"},
    # paid up until the day before the paid-up date: excluded by paid_up_at only
    {"number": "3", "name": "Cat", "email": "cat@example.org", "joined_on": "2019-05-05",
     "paid_until": "2026-10-31", "region": "North", "birth_date": "1970-03-03"},
    # paid up until exactly the date: eligible; 27th birthday on the age date: not youth
    {"number": "4", "name": "Dan", "email": "dan@example.org", "joined_on": "2026-06-30",
     "paid_until": "2026-11-01", "region": "South", "birth_date": "1999-12-09"},
    # both rules failed: counted under each
    {"number": "5", "name": "Eve", "email": "eve@example.org", "joined_on": "2026-08-01",
     "paid_until": "2025-01-01", "region": "North", "birth_date": "1990-01-01"},
    # no joining date: fails joined_by
    {"number": "6", "name": "Fay", "email": "fay@example.org", "paid_until": "2027-01-01",
     "region": "North", "birth_date": "1990-01-01"},
    # shares an address with 8 (different case): both by post
    {"number": "7", "name": "Gus", "email": "Home@Example.org", "joined_on": "2000-01-01",
     "paid_until": "2027-01-01", "region": "Wales", "birth_date": "2005-06-01"},
    {"number": "8", "name": "Hal", "email": "home@example.org ", "joined_on": "2000-01-01",
     "paid_until": "2027-01-01", "region": "Wales", "birth_date": "1950-06-01"},
    # no email: post; shares Ann's address? no: shares the address of 2 (Bob), who is NOT
    # eligible, so it does not count against Ivy... but Ivy has no email at all anyway
    {"number": "9", "name": "Ivy", "joined_on": "2000-01-01", "paid_until": "2027-01-01",
     "region": "North", "birth_date": "2001-01-01"},
    # shares Bob's address; Bob is not eligible, so Jo keeps email
    {"number": "10", "name": "Jo", "email": "bob@example.org", "joined_on": "2000-01-01",
     "paid_until": "2027-01-01", "region": "South", "birth_date": "1960-01-01"},
]  # fmt: skip

ELIGIBILITY = [
    {"rule": "joined_by", "date": "2026-06-30"},
    {"rule": "paid_up_at", "date": "2026-11-01"},
]
CONTESTS = [
    {"title": "Executive", "rule": "scottish-stv", "seats": 2,
     "candidates": [{"name": n} for n in ("P", "Q", "R")]},
    {"title": "North seat", "rule": "irv", "candidates": ["S", "T"],
     "electorate": {"region": ["North"]}},
    {"title": "Youth seat", "rule": "fptp", "ballot_type": "x", "max_marks": 1,
     "candidates": ["U", "V"],
     "electorate": [{"rule": "age_under", "years": 27, "on": "2026-12-09"}]},
]  # fmt: skip


@pytest.fixture
def opened(svc: core.Service) -> tuple[core.Service, dict, str, dict]:
    a = admin_of(svc)
    eid = core.create_election(svc, a, spec(CONTESTS, ELIGIBILITY))
    got = core.import_roll(svc, a, eid, roll_text(ROWS))
    return svc, a, eid, got


def test_each_exclusion_is_counted_under_its_rule(opened):
    svc, a, eid, got = opened
    # eligible: 1, 4, 7, 8, 9, 10; out: 2 (joined), 3 (paid), 5 (both), 6 (no join date)
    assert got["imported"] == 10
    assert got["eligible"] == 6
    assert got["excluded_by_rule"] == {
        "joined on or before 2026-06-30": 3,  # 2, 5, 6
        "paid up at 2026-11-01": 2,  # 3, 5
    }
    # email: 1, 4, 10 (10 shares only with an ineligible member); post: 7, 8 (shared), 9
    assert got["channels"] == {"email": 3, "post": 3}


def test_opening_freezes_the_roll_and_makes_ballot_styles(opened):
    svc, a, eid, _ = opened
    cert = core.open_election(svc, a, eid)
    assert cert["eligible"] == 6 and cert["slots"] == 6
    assert cert["channels"] == {"email": 3, "post": 3}
    assert cert["shared_email_sent_by_post"] == 2
    assert len(cert["roll_sha256"]) == 64
    contests = {c["title"]: c["id"] for c in core.election_info(svc, a, eid)["contests"]}
    with svc.engine.begin() as conn:
        rows = conn.execute(
            select(schema.member.c.number, schema.slot.c.contests, schema.slot.c.channel).join(
                schema.slot, schema.slot.c.member_id == schema.member.c.id
            )
        ).all()
    got = {
        r.number: (sorted(t for t, i in contests.items() if i in r.contests), r.channel)
        for r in rows
    }
    assert got == {
        # Ann: North, 26 on 2026-12-09 (her 26th birthday)
        "1": (["Executive", "North seat", "Youth seat"], "email"),
        # Dan: 27 on his birthday 2026-12-09, so not under 27
        "4": (["Executive"], "email"),
        "7": (["Executive", "Youth seat"], "post"),  # 21
        "8": (["Executive"], "post"),
        "9": (["Executive", "North seat", "Youth seat"], "post"),  # 25
        "10": (["Executive"], "email"),
    }
    # the roll is frozen
    with pytest.raises(core.ServiceError, match="frozen"):
        core.import_roll(svc, a, eid, roll_text(ROWS))


def test_the_roll_hash_is_canonical(svc):
    """The same members in another row order and column order give the same hash."""
    a = admin_of(svc)
    e1 = core.create_election(svc, a, spec(CONTESTS, ELIGIBILITY))
    e2 = core.create_election(svc, a, spec(CONTESTS, ELIGIBILITY))
    core.import_roll(svc, a, e1, roll_text(ROWS))
    text = roll_text(list(reversed(ROWS)))
    header, *lines = text.splitlines()
    # move the first column (number) to the end
    swapped = [",".join(line.split(",")[1:] + line.split(",")[:1]) for line in [header, *lines]]
    core.import_roll(svc, a, e2, "\n".join(swapped) + "\n")
    assert (
        core.open_election(svc, a, e1)["roll_sha256"]
        == core.open_election(svc, a, e2)["roll_sha256"]
    )


def test_region_status_and_age_rules(svc):
    a = admin_of(svc)
    rules = [
        {"rule": "region", "in": ["North", "Wales"]},
        {"rule": "age_at_least", "years": 18, "on": "2026-12-09"},
    ]
    rows = [
        {"number": "1", "name": "A", "region": "North", "birth_date": "2008-12-09"},  # 18 today
        {"number": "2", "name": "B", "region": "North", "birth_date": "2008-12-10"},  # 17
        {"number": "3", "name": "C", "region": "South", "birth_date": "1990-01-01"},
        {"number": "4", "name": "D", "region": "Wales"},  # no birth date: fails the age rule
    ]
    eid = core.create_election(svc, a, spec(CONTESTS[:1], rules))
    got = core.import_roll(svc, a, eid, roll_text(rows))
    assert got["eligible"] == 1
    assert got["excluded_by_rule"] == {
        "region in North, Wales": 1,
        "aged 18 or over on 2026-12-09": 2,
    }
    assert got["channels"] == {"post": 1}


def test_bad_rows_are_all_listed_and_nothing_is_imported(svc):
    a = admin_of(svc)
    eid = core.create_election(svc, a, spec(CONTESTS, ELIGIBILITY))
    good = roll_text(ROWS[:2])
    bad = (
        good
        + "2,Again,x@example.org,,2020-01-01,2027-01-01,,,,\n"  # line 4: number 2 again
        + "11,Kim,kim@example.org,,01/02/2020,2027-01-01,,,,\n"  # line 5: not ISO
        + "12,Lee,not-an-address,,2020-01-01,2027-01-01,,,,\n"  # line 6
        + ",Nobody,,,,,,,,\n"  # line 7
    )
    with pytest.raises(core.RollError) as err:
        core.import_roll(svc, a, eid, bad, name="roll.csv")
    assert err.value.errors == [
        "line 4: member number 2 appears twice",
        "line 5, column joined_on: '01/02/2020' is not a date (YYYY-MM-DD)",
        "line 6, column email: 'not-an-address' is not an email address",
        "line 7: no member number",
    ]
    assert str(err.value).startswith("roll.csv: line 4:")
    assert core.election_info(svc, a, eid)["state"] == "draft"
    with svc.engine.begin() as conn:
        assert conn.execute(select(schema.member)).first() is None


def test_a_column_the_rules_read_must_be_there(svc):
    a = admin_of(svc)
    eid = core.create_election(svc, a, spec(CONTESTS, ELIGIBILITY))
    text = "number,name,joined_on\n1,Ann,2020-01-01\n"
    with pytest.raises(core.RollError, match="no column 'paid_until' for paid_until, which the"):
        core.import_roll(svc, a, eid, text)
    full = "number,name,joined_on,paid_until,region,birth_date\n1,Ann,,,,\n"
    with pytest.raises(core.RollError, match="no column 'Born' for the member's birth_date"):
        core.import_roll(svc, a, eid, full, {"birth_date": "Born"})
    with pytest.raises(core.RollError, match="no roll field shoe_size"):
        core.import_roll(svc, a, eid, text, {"shoe_size": "Shoe"})


def test_column_mapping(svc):
    a = admin_of(svc)
    eid = core.create_election(svc, a, spec(CONTESTS[:1], ELIGIBILITY[:1]))
    text = "Membership No,Full name,Joined\nM1,Ann,2020-01-01\nM2,Bob,2027-01-01\n"
    got = core.import_roll(
        svc, a, eid, text, {"number": "Membership No", "name": "Full name", "joined_on": "Joined"}
    )
    assert (got["imported"], got["eligible"]) == (2, 1)


@pytest.mark.parametrize(
    "rule, message",
    [
        ({"rule": "shoe_size", "in": ["9"]}, "'shoe_size' is not a rule"),
        ({"rule": "joined_by", "date": "30/06/2026"}, "date '30/06/2026' is not a date"),
        ({"rule": "age_under", "years": "27", "on": "2026-12-09"}, "years '27' is not a whole"),
        ({"rule": "region", "in": []}, "'in' must list one or more values"),
    ],
)
def test_bad_rules_are_refused_when_the_election_is_made(svc, rule, message):
    a = admin_of(svc)
    with pytest.raises(core.ServiceError, match=message):
        core.create_election(svc, a, spec(CONTESTS, [rule]))
    bad = [dict(CONTESTS[0], electorate=[rule])]
    with pytest.raises(core.ServiceError, match="contest 'Executive', electorate, rule 1"):
        core.create_election(svc, a, spec(bad))


@pytest.mark.parametrize(
    "contest, message",
    [
        ({"title": "X", "rule": "no-such-rule", "candidates": ["A", "B"]}, "no-such-rule"),
        ({"title": "X", "rule": "irv", "seats": 3, "candidates": ["A", "B"]}, "cannot be counted"),
        (
            {"title": "X", "rule": "scottish-stv", "seats": 2, "candidates": ["A", "B", "C"],
             "constraints": ["gender=woman:min=1"]},
            "cannot be counted",
        ),
        ({"title": "X", "rule": "irv", "candidates": ["A"], "ballot_type": "dots"}, "dots"),
        ({"rule": "irv", "candidates": ["A", "B"]}, "contest 1 needs a title"),
    ],
)  # fmt: skip
def test_a_contest_that_cannot_be_counted_is_refused_when_made(svc, contest, message):
    a = admin_of(svc)
    with pytest.raises(core.ServiceError, match=message):
        core.create_election(svc, a, spec([contest]))
    assert core.elections(svc, a) == []


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from('ab,"\n\r '), max_size=40))
def test_the_roll_is_read_as_a_file_would_be(text: str) -> None:
    """The import reads the roll's text line by line without copying it whole
    (`core._lines`): the lines, and so the CSV rows, are those of ``io.StringIO``."""
    assert list(core._lines(text)) == list(io.StringIO(text))
    try:
        expected = list(csv.reader(io.StringIO(text)))
    except csv.Error:
        with pytest.raises(csv.Error):
            list(csv.reader(core._lines(text)))
    else:
        assert list(csv.reader(core._lines(text))) == expected
