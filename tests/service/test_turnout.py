"""The public turnout (issue 18): counted over the whole roll at most once every
``turnout_max_age`` seconds in a process, however many ask at once, and off the event loop.
Before, every request of the election's notice page counted the whole roll on the event loop
(63 ms p50 on a 100,000-slot roll; bench/README.md, "The public turnout")."""

from __future__ import annotations

import threading

import pytest
from fastapi.testclient import TestClient

from tallyroom.service import core
from tallyroom.service.web import create_app

from .conftest import admin_of, emailed_codes, roll_text, spec, vote

CONTESTS = [{"title": "Chair", "rule": "fptp", "ballot_type": "x", "candidates": ["A", "B"]}]
ROWS = [{"number": str(i), "name": f"M{i}", "email": f"m{i}@example.org"} for i in range(1, 6)]


@pytest.fixture
def opened(svc):
    a = admin_of(svc)
    eid = core.create_election(svc, a, spec(CONTESTS))
    core.import_roll(svc, a, eid, roll_text(ROWS))
    core.open_election(svc, a, eid)
    core.run_due_jobs(svc)
    cid = core.election_info(svc, a, eid)["contests"][0]["id"]
    return svc, a, eid, cid


def test_the_turnout_is_at_most_max_age_old_and_then_counted_again(opened):
    svc, a, eid, cid = opened
    client = TestClient(create_app(svc, run_jobs=False))
    first = client.get(f"/e/{eid}/turnout.json").json()
    assert (first["state"], first["voted"], first["slots"]) == ("open", 0, 5)
    assert first["as_of"]
    code = emailed_codes(svc.outbox)["m1@example.org"]
    vote(client, eid, code, {f"c-{cid}-0": "x"}, review=False)
    # within max_age: the same count, with the time it was made
    assert client.get(f"/e/{eid}/turnout.json").json() == first
    # the admin's figures are never cached
    assert core.election_info(svc, a, eid)["turnout"]["voted"] == 1
    svc.turnout_max_age = 0.0
    again = client.get(f"/e/{eid}/turnout.json").json()
    assert (again["voted"], again["slots"]) == (1, 5)
    assert "Turnout so far: 1 of 5" in client.get(f"/e/{eid}").text


def test_many_asking_at_once_cost_one_count(opened, monkeypatch):
    svc, _, eid, _ = opened
    counts = []
    real = core._turnout
    gate = threading.Event()

    def counting(conn, election_id):
        counts.append(election_id)
        gate.wait(5)  # hold the first count while the others arrive
        return real(conn, election_id)

    monkeypatch.setattr(core, "_turnout", counting)
    answers: list[object] = []
    threads = [
        threading.Thread(target=lambda: answers.append(core.public_turnout(svc, eid)))
        for _ in range(8)
    ]
    for t in threads:
        t.start()
    gate.set()
    for t in threads:
        t.join(10)
    assert len(answers) == 8 and counts == [eid]
    assert all(x == answers[0] for x in answers)


def test_no_turnout_unless_open_and_no_such_election(svc):
    a = admin_of(svc)
    eid = core.create_election(svc, a, spec(CONTESTS))
    assert core.public_turnout(svc, eid) is None
    client = TestClient(create_app(svc, run_jobs=False))
    assert client.get(f"/e/{eid}/turnout.json").json() == {"state": "draft"}
    with pytest.raises(core.NotFound):
        core.public_turnout(svc, "no-such-election")
    assert client.get("/e/no-such-election/turnout.json").status_code == 404
