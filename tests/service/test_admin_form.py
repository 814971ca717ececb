"""The returning officer's "new election" page over HTTP, without JavaScript: a signed-in
officer fills in the form, the election it makes is the one the JSON API would make from
the same description (both go through ``core.create_election``), and bad input comes back
as the same form with an error at each field naming what was expected."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tallyroom.service import core
from tallyroom.service.web import create_app

from .conftest import PASSWORD, admin_of, csrf_of

GOOD = {
    "title": "Committee election 2027",
    "rule_book": "Rule 12",
    "time_zone": "Europe/London",
    # 1 July is in British Summer Time (UTC+1); 9 January is not (UTC+0)
    "opens": "2027-07-01T09:00",
    "closes": "2027-07-08T17:30",
    "eligibility": "joined_by 2027-03-31\npaid_up_at 2027-06-30",
    "c0-title": "Committee",
    "c0-ballot_type": "ranked",
    "c0-rule": "scottish-stv",
    "c0-seats": "2",
    "c0-candidates": "Ada; gender=woman\nBen; gender=man\nCal; gender=man\nDee; gender=woman",
    "c0-constraints": "gender=woman:min=1",
    "c0-order": "alphabetical",
    "c0-electorate": "",
}


def signed_in(svc: core.Service, role_admin: Any = None) -> TestClient:
    client = TestClient(create_app(svc, run_jobs=False))
    a = role_admin or admin_of(svc)
    page = client.get("/login")
    r = client.post(
        "/login", data={"csrf": csrf_of(page.text), "email": a["email"], "password": PASSWORD}
    )
    assert r.status_code == 200 and "Elections" in r.text, r.text
    return client


def post(client: TestClient, form: dict[str, str], n: int = 1) -> Any:
    token = csrf_of(client.get("/admin/new").text)
    return client.post("/admin/new", data={"csrf": token, "n": str(n), **form})


def errors_of(html: str) -> dict[str, str]:
    """The error shown at each field, by the field's id."""
    return {
        m.group(1): re.sub(r"\s+", " ", m.group(2)).replace("&#39;", "'")
        for m in re.finditer(r'<p class="error" id="([^"]+)-error">(.*?)</p>', html, re.S)
    }


def test_form_creates_the_election_the_api_would(svc: core.Service) -> None:
    a = admin_of(svc)
    client = signed_in(svc, a)
    page = client.get("/admin")
    assert 'href="/admin/new"' in page.text
    r = post(client, GOOD)
    assert r.status_code == 200, r.text
    assert "election created" in r.text
    eid = str(r.url).rsplit("/", 1)[1].split("?")[0]
    e = core.election_info(svc, a, eid)
    assert e["title"] == "Committee election 2027" and e["rule_book"] == "Rule 12"
    assert e["state"] == "draft" and e["organisation"] == "Test Society"
    # 09:00 London time on 1 July 2027 is 08:00 UTC (BST, UTC+1)
    assert datetime.fromisoformat(e["opens_at"]) == datetime.fromisoformat(
        "2027-07-01T08:00:00+00:00"
    )
    assert datetime.fromisoformat(e["closes_at"]) == datetime.fromisoformat(
        "2027-07-08T16:30:00+00:00"
    )
    assert e["time_zone"] == "Europe/London"
    assert e["eligibility"] == [
        {"rule": "joined_by", "date": "2027-03-31"},
        {"rule": "paid_up_at", "date": "2027-06-30"},
    ]
    (c,) = e["contests"]
    assert (c["title"], c["rule_id"], c["seats"], c["ballot_type"]) == (
        "Committee",
        "scottish-stv",
        2,
        "ranked",
    )
    assert [x["name"] for x in c["candidates"]] == ["Ada", "Ben", "Cal", "Dee"]
    assert c["candidates"][0]["attributes"] == {"gender": "woman"}
    assert c["constraints"] == ["gender=woman:min=1"]
    assert c["candidate_order"] == "alphabetical"

    # the JSON API, given the same description, makes the same election
    spec = {
        "title": "Committee election 2027",
        "rule_book": "Rule 12",
        "time_zone": "Europe/London",
        "opens_at": "2027-07-01T09:00:00+01:00",
        "closes_at": "2027-07-08T17:30:00+01:00",
        "eligibility": e["eligibility"],
        "contests": [
            {
                "title": "Committee",
                "rule": "scottish-stv",
                "seats": 2,
                "candidates": c["candidates"],
                "constraints": ["gender=woman:min=1"],
                "candidate_order": "alphabetical",
            }
        ],
    }
    token = client.get("/api/session").json()["csrf"]
    got = client.post("/api/elections", json=spec, headers={"X-CSRF-Token": token})
    assert got.status_code == 200, got.text
    twin = core.election_info(svc, a, got.json()["id"])
    for k in ("title", "rule_book", "opens_at", "closes_at", "time_zone", "eligibility"):
        assert twin[k] == e[k], k
    keep = ("title", "rule_id", "seats", "ballot_type", "candidates", "constraints")
    assert [{k: x[k] for k in keep} for x in twin["contests"]] == [{k: c[k] for k in keep}]


def test_winter_time_and_several_contests(svc: core.Service) -> None:
    a = admin_of(svc)
    client = signed_in(svc, a)
    form = {
        **GOOD,
        "opens": "2027-01-09T09:00",
        "closes": "2027-01-16T12:00",
        "c0-electorate": "region North, South",
    }
    # "add another contest" gives the same form back, values kept, one block more
    token = csrf_of(client.get("/admin/new").text)
    r = client.post("/admin/new", data={"csrf": token, "n": "1", "add": "1", **form})
    assert r.status_code == 200 and 'id="c1-title"' in r.text and "Committee election" in r.text
    form |= {
        "c1-title": "Motion: adopt the budget",
        "c1-ballot_type": "yesno",
        "c1-rule": "fptp",
        "c1-seats": "1",
        "c1-electorate": "age_under 27 on 2027-01-09",
        "c2-title": "",  # an unused block is ignored
        "c2-candidates": "",
    }
    r = post(client, form, n=3)
    assert r.status_code == 200 and "election created" in r.text, r.text
    eid = str(r.url).rsplit("/", 1)[1].split("?")[0]
    e = core.election_info(svc, a, eid)
    # January: London is on GMT, UTC+0
    assert datetime.fromisoformat(e["opens_at"]) == datetime.fromisoformat(
        "2027-01-09T09:00:00+00:00"
    )
    assert [c["title"] for c in e["contests"]] == ["Committee", "Motion: adopt the budget"]
    assert e["contests"][0]["electorate"] == [{"rule": "region", "in": ["North", "South"]}]
    motion = e["contests"][1]
    assert motion["ballot_type"] == "yesno"
    assert [x["name"] for x in motion["candidates"]] == ["Yes", "No"]
    assert motion["electorate"] == [{"rule": "age_under", "years": 27, "on": "2027-01-09"}]


@pytest.mark.parametrize(
    ("change", "field", "expected"),
    [
        ({"title": "  "}, "title", "Enter the election's title"),
        ({"opens": ""}, "opens", "expected a date and time"),
        ({"closes": "next Tuesday"}, "closes", "expected YYYY-MM-DD HH:MM"),
        ({"closes": "2027-06-30T09:00"}, "closes", "expected a time after the opening time"),
        # 28 March 2027, 01:30 in London: the clocks go from 01:00 to 02:00
        ({"opens": "2027-03-28T01:30"}, "opens", "does not exist there (the clocks go forward)"),
        # 31 October 2027, 01:30 in London: the clocks go back from 02:00 BST to 01:00 GMT
        ({"closes": "2027-10-31T01:30"}, "closes", "happens twice there (the clocks go back)"),
        ({"time_zone": "Mars/Olympus"}, "time_zone", "expected a name such as Europe/London"),
        ({"c0-title": ""}, "c0-title", "enter the contest's title"),
        ({"c0-rule": ""}, "c0-rule", "choose the counting rule"),
        ({"c0-rule": "borda-count"}, "c0-rule", "'borda-count' is not a rule of tallyroom"),
        ({"c0-ballot_type": "approval"}, "c0-rule", "scottish-stv counts ranked papers"),
        ({"c0-seats": "0"}, "c0-seats", "expected a whole number, 1 or more"),
        ({"c0-seats": "two"}, "c0-seats", "seats 'two': expected a whole number"),
        ({"c0-seats": "4"}, "c0-candidates", "4 candidate(s) for 4 seat(s)"),
        ({"c0-candidates": ""}, "c0-candidates", "enter the candidates, one a line"),
        (
            {"c0-candidates": "Ada\nBen\n ben \nCal"},
            "c0-candidates",
            "line 3: 'ben' is already on line 2; names must differ",
        ),
        ({"c0-candidates": "Ada; woman\nBen\nCal"}, "c0-candidates", "expected attributes"),
        ({"eligibility": "joined 2027-01-01"}, "eligibility", "'joined' is not a rule"),
        ({"eligibility": "joined_by soon"}, "eligibility", "'soon' is not a date (YYYY-MM-DD)"),
        (
            {"c0-electorate": "age_under 27"},
            "c0-electorate",
            "expected 'age_under YEARS on YYYY-MM-DD'",
        ),
        ({"c0-electorate": "region"}, "c0-electorate", "'in' must list one or more values"),
        ({"c0-ballot_type": "x", "c0-rule": "fptp", "c0-max_marks": "0"}, "c0-max_marks",
         "expected a whole number"),
    ],
)  # fmt: skip
def test_bad_input_names_the_field_and_what_was_expected(
    svc: core.Service, change: dict[str, str], field: str, expected: str
) -> None:
    a = admin_of(svc)
    client = signed_in(svc, a)
    r = post(client, {**GOOD, **change})
    assert r.status_code == 400
    assert "The election was not created" in r.text
    errors = errors_of(r.text)
    assert list(errors) == [field], errors
    assert expected in errors[field], errors[field]
    # the field is marked invalid and tied to its message; the summary links to it
    assert re.search(rf'id="{field}"[^>]*aria-describedby="[^"]*{field}-error"', r.text)
    assert f'href="#{field}"' in r.text
    # what was typed is kept
    assert 'value="Committee election 2027"' in r.text or field == "title"
    assert core.elections(svc, a) == []  # nothing was made


def test_refused_by_the_library_is_shown_on_the_form(svc: core.Service) -> None:
    a = admin_of(svc)
    client = signed_in(svc, a)
    # a constraint on an attribute no candidate has: the library's trial count refuses it
    r = post(client, {**GOOD, "c0-constraints": "region=North:min=1"})
    assert r.status_code == 400
    assert "The election was not created" in r.text
    assert "contest &#39;Committee&#39; cannot be counted" in r.text
    assert 'value="Committee election 2027"' in r.text
    assert core.elections(svc, a) == []


def test_the_form_needs_a_session_a_token_and_a_manager(svc: core.Service) -> None:
    anonymous = TestClient(create_app(svc, run_jobs=False))
    r = anonymous.get("/admin/new", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    token = csrf_of(anonymous.get("/login").text)
    assert anonymous.post("/admin/new", data={"csrf": token, **GOOD}).status_code == 403

    a = admin_of(svc)
    client = signed_in(svc, a)
    r = client.post("/admin/new", data={"csrf": "forged", **GOOD})
    assert r.status_code == 403 and "this form has expired" in r.text
    assert core.elections(svc, a) == []

    # a scrutineer may read but not create
    link = core.invite(svc, a, "scrutineer")
    s = TestClient(create_app(svc, run_jobs=False))
    path = "/" + link.split("/", 3)[3]
    page = s.get(path)
    r = s.post(
        path,
        data={"csrf": csrf_of(page.text), "email": "scr@example.org", "password": PASSWORD},
    )
    assert r.status_code == 200, r.text
    assert 'href="/admin/new"' not in r.text
    r = s.get("/admin/new")
    assert r.status_code == 403 and "a scrutineer may not create an election" in r.text
    token = csrf_of(s.get("/login").text)  # the session's token, from a page it may see
    r = s.post("/admin/new", data={"csrf": token, "n": "1", **GOOD})
    assert r.status_code == 403 and "a scrutineer may not do this" in r.text
    assert core.elections(svc, a) == []
