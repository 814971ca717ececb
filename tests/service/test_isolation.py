"""Every admin route, tried with another organisation's election, refuses (Zeus's
``test_admins_cannot_access_other_elections``). The routes are read from the app itself, so
a route added later is tried too."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tallyroom.service import core
from tallyroom.service.web import create_app

from .conftest import PASSWORD, admin_of, csrf_of, roll_text, spec

CONTESTS = [{"title": "Chair", "rule": "irv", "candidates": ["A", "B"]}]


def _signed_in(client: TestClient, email: str) -> str:
    page = client.get("/login")
    r = client.post(
        "/login", data={"csrf": csrf_of(page.text), "email": email, "password": PASSWORD}
    )
    assert r.status_code == 200 and "Elections" in r.text
    return client.get("/api/session").json()["csrf"]


@pytest.mark.parametrize("state", ["draft", "open", "counted"])
def test_admin_routes_refuse_another_organisations_election(svc, state):
    a = admin_of(svc, "Society A", "a@example.org")
    admin_of(svc, "Society B", "b@example.org")
    eid = core.create_election(svc, a, spec(CONTESTS))
    core.import_roll(svc, a, eid, roll_text([{"number": "1", "name": "Ann"}]))
    if state != "draft":
        core.open_election(svc, a, eid)
    if state == "counted":
        core.close_election(svc, a, eid)
    app = create_app(svc, run_jobs=False)
    client = TestClient(app)
    token = _signed_in(client, "b@example.org")
    page = client.get("/admin")
    form_token = csrf_of(page.text)
    tried = 0
    for route in app.routes:
        path = getattr(route, "path", "")
        if not (path.startswith("/admin/e/") or path.startswith("/api/elections/{eid}")):
            continue
        for method in sorted(getattr(route, "methods", set()) - {"HEAD"}):
            url = path.replace("{eid}", eid)
            for action in ("open", "close", "remind", "reissue", "extend", "sign-off", "roll"):
                filled = url.replace("{action}", action)
                if method == "GET":
                    r = client.get(filled)
                elif filled.startswith("/api/"):
                    r = client.post(
                        filled,
                        json={"csv": "number,name\n2,Bob\n", "member": "1"},
                        headers={"X-CSRF-Token": token},
                    )
                else:
                    r = client.post(
                        filled,
                        data={"csrf": form_token, "member": "1"},
                        files={"roll": ("r.csv", b"number,name\n2,Bob\n")}
                        if "upload" in filled
                        else None,
                    )
                assert r.status_code in (403, 404), (method, filled, r.status_code, r.text[:200])
                assert "Test ballot" not in r.text and "Ann" not in r.text, (method, filled)
                tried += 1
                if "{action}" not in path:
                    break
    assert tried >= 20
    # and nothing changed
    info = core.election_info(svc, a, eid)
    assert info["state"] == state
    assert info["turnout"]["slots"] == (0 if state == "draft" else 1)


def test_roles_scrutineer_and_observer_only_read(svc):
    a = admin_of(svc)
    eid = core.create_election(svc, a, spec(CONTESTS))
    core.import_roll(svc, a, eid, roll_text([{"number": "1", "name": "Ann"}]))
    for role in ("scrutineer", "observer"):
        link = core.invite(svc, a, role)
        who = core.accept_invitation(svc, link.rsplit("/", 1)[1], f"{role}@example.org", PASSWORD)
        assert core.election_info(svc, who, eid)["state"] == "draft"
        for action, args in (
            (core.open_election, (eid,)),
            (core.import_roll, (eid, "number,name\n1,A\n")),
            (core.create_election, (spec(CONTESTS),)),
            (core.invite, ("administrator",)),
        ):
            with pytest.raises(core.Forbidden):
                action(svc, who, *args)  # type: ignore[operator]
    # an invitation link works once
    link = core.invite(svc, a, "observer")
    token = link.rsplit("/", 1)[1]
    core.accept_invitation(svc, token, "o2@example.org", PASSWORD)
    with pytest.raises(core.NotFound):
        core.accept_invitation(svc, token, "o3@example.org", PASSWORD)
    assert re.fullmatch(r"http://testserver/setup/[\w-]+", link)
