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
