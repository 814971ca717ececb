"""Fixtures of the service tests: a real SQLite database in a temporary folder, and the
same tests on PostgreSQL when ``TALLYROOM_TEST_POSTGRES_URL`` is set (``.ci/start-postgres``)."""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterator
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest

from tallyroom.service import core
from tallyroom.service.db import sqlite_url

DATABASES = ["sqlite"] + (["postgresql"] if os.environ.get("TALLYROOM_TEST_POSTGRES_URL") else [])


def _postgres_database() -> str:
    """A fresh database on the throwaway cluster, one per test."""
    import psycopg

    base = os.environ["TALLYROOM_TEST_POSTGRES_URL"]
    name = "t_" + secrets.token_hex(6)
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return base.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(params=DATABASES)
def svc(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[core.Service]:
    url = sqlite_url(tmp_path) if request.param == "sqlite" else _postgres_database()
    s = core.Service.open(url, outbox=tmp_path / "outbox", base_url="http://testserver")
    yield s
    s.engine.dispose()


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, "no CSRF token on the page"
    return m.group(1)


def emailed_codes(outbox: Path) -> dict[str, str]:
    """The codes in the mail written to the outbox, by recipient (the latest issue)."""
    out: dict[str, tuple[int, str]] = {}
    for f in sorted(outbox.glob("*-code.eml")):
        msg = message_from_bytes(f.read_bytes())
        body = msg.get_payload(decode=True).decode()  # type: ignore[union-attr]
        code = re.search(r"^ {4}([0-9A-Z*~$=-]+)$", body, re.M)
        assert code, f"no code in {f.name}"
        issue = int(f.name.split("-")[1])
        if msg["To"] not in out or out[msg["To"]][0] < issue:
            out[msg["To"]] = (issue, code.group(1))
    return {k: v[1] for k, v in out.items()}


def vote(client: Any, eid: str, code: str, form: dict[str, str], review: bool = True) -> str:
    """The voter's journey over HTTP; returns the tracking code on the receipt."""
    page = client.get(f"/e/{eid}/vote")
    assert page.status_code == 200
    r = client.post(f"/e/{eid}/vote", data={"csrf": csrf_of(page.text), "code": code})
    assert r.status_code == 200, r.text
    token = csrf_of(r.text)  # the ballot page
    if review:
        r = client.post(f"/e/{eid}/review", data={"csrf": token, **form})
        assert r.status_code == 200 and "Check your vote" in r.text, r.text
        token = csrf_of(r.text)
    r = client.post(f"/e/{eid}/cast", data={"csrf": token, **form})
    assert r.status_code == 200, r.text
    m = re.search(r'class="tracker">([0-9a-f]+)<', r.text)
    assert m, r.text
    return m.group(1)


PASSWORD = "correct horse battery"


def admin_of(svc: core.Service, org: str = "Test Society", email: str = "ro@example.org") -> Any:
    return core.create_organisation(svc, org, email, PASSWORD)


def roll_text(rows: list[dict[str, str]]) -> str:
    """A roll CSV with the roll's own field names as the header."""
    import csv
    import io

    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=list(core.ROLL_FIELDS), lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({f: r.get(f, "") for f in core.ROLL_FIELDS})
    return out.getvalue()


def spec(contests: list[dict[str, Any]], eligibility: list[dict[str, Any]] | None = None) -> Any:
    from datetime import timedelta

    from tallyroom.service.db import iso, now

    return {
        "title": "Test ballot",
        "opens_at": iso(now() - timedelta(minutes=5)),
        "closes_at": iso(now() + timedelta(days=3)),
        "eligibility": eligibility or [],
        "contests": contests,
    }


# -- an election ready to vote in, and a second organisation beside it (tests of issue 18) --
ROLL = """number,name,email,region,status
M001,Ada One,ada@example.org,North,member
M002,Bo Two,bo@example.org,South,member
M003,Cy Three,cy@example.org,North,member
M004,Di Four,di@example.org,South,member
M005,Ed Five,,North,member
M006,Flo Six,flo@example.org,South,lapsed
"""


def election_spec(title: str = "Council election") -> dict[str, Any]:
    from datetime import timedelta

    from tallyroom.service.db import iso, now

    return {
        "title": title,
        "opens_at": iso(now() - timedelta(minutes=5)),
        "closes_at": iso(now() + timedelta(days=1)),
        "eligibility": [{"rule": "status", "in": ["member"]}],
        "contests": [
            {
                "title": "Executive",
                "rule": "ers97-stv",
                "seats": 2,
                "ballot_type": "ranked",
                "candidates": [{"name": n} for n in ("Ann", "Bob", "Cat", "Dan")],
            },
            {
                "title": "North seat",
                "rule": "irv",
                "seats": 1,
                "ballot_type": "ranked",
                "candidates": [{"name": n} for n in ("Eve", "Fay")],
                "electorate": {"region": ["North"]},
            },
        ],
    }


@pytest.fixture
def opened(svc: core.Service, tmp_path: Path) -> dict[str, Any]:
    """Two organisations, each with an administrator; the first has an open election
    whose email voters' codes are in the outbox; the second has a draft election."""
    a = core.create_organisation(svc, "First Union", "ro@first.example", "first-password-1")
    b = core.create_organisation(svc, "Second Union", "ro@second.example", "second-password-2")
    eid = core.create_election(svc, a, election_spec())
    core.import_roll(svc, a, eid, ROLL)
    core.open_election(svc, a, eid)
    core.run_due_jobs(svc)
    other = core.create_election(svc, b, election_spec("Second's election"))
    info = core.election_info(svc, a, eid)
    return {
        "svc": svc,
        "a": a,
        "b": b,
        "eid": eid,
        "other": other,
        "codes": emailed_codes(tmp_path / "outbox"),
        "contests": {c["title"]: c["id"] for c in info["contests"]},
        "passwords": {"a": "first-password-1", "b": "second-password-2"},
    }


@pytest.fixture
def client(opened: dict[str, Any]) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    from tallyroom.service.web import create_app

    with TestClient(create_app(opened["svc"], run_jobs=False)) as c:
        yield c


def sign_in(client: Any, email: str, password: str) -> str:
    """Sign in over HTTP; returns the session's CSRF token for the JSON API."""
    page = client.get("/login")
    r = client.post(
        "/login",
        data={"csrf": csrf_of(page.text), "email": email, "password": password},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    return str(client.get("/api/session").json()["csrf"])
