"""The ballot service under attack (issue 18): code guessing, CSRF, session fixation,
clickjacking and the Content-Security-Policy, admin routes across organisations, a ballot
for a contest outside the voter's ballot style, replayed and doubled submissions, oversized
and malformed form fields. Every test runs on SQLite and, when the throwaway cluster is
up (``.ci/start-postgres``), on PostgreSQL."""

from __future__ import annotations

import re
import threading
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tallyroom.service import core, schema, security
from tallyroom.service.web import create_app

from .conftest import csrf_of, emailed_codes, sign_in

WRONG = "0000-0000-0000-0000-0000-01"  # well formed, right check character, no slot


def _client(opened: dict[str, Any], address: str = "198.51.100.7") -> TestClient:
    return TestClient(create_app(opened["svc"], run_jobs=False), client=(address, 40000))


def _try_code(c: TestClient, eid: str, code: str) -> Any:
    page = c.get(f"/e/{eid}/vote")
    return c.post(
        f"/e/{eid}/vote", data={"csrf": csrf_of(page.text), "code": code}, follow_redirects=False
    )


def _ballots(svc: core.Service, contest_id: str | None = None) -> int:
    q = select(func.count()).select_from(schema.ballot)
    if contest_id:
        q = q.where(schema.ballot.c.contest_id == contest_id)
    with svc.engine.begin() as conn:
        return int(conn.execute(q).scalar_one())


def _voted(svc: core.Service) -> int:
    with svc.engine.begin() as conn:
        return int(
            conn.execute(select(func.count()).where(schema.slot.c.voted.is_(True))).scalar_one()
        )


# -- code guessing ------------------------------------------------------------------------------
def test_code_guessing_is_limited_per_address(opened: dict[str, Any]) -> None:
    eid, svc = opened["eid"], opened["svc"]
    right = opened["codes"]["ada@example.org"]
    with _client(opened, "198.51.100.7") as guesser:
        for _ in range(security.ADDRESS_FAILURES):
            assert _try_code(guesser, eid, WRONG).status_code == 400
        # the limit holds even for a right code: the guesser cannot tell it found one
        r = _try_code(guesser, eid, right)
        assert r.status_code == 429 and "Too many codes" in r.text
    # another app process (another app on the same database) holds the same limit
    with _client(opened, "198.51.100.7") as same_address_elsewhere:
        assert _try_code(same_address_elsewhere, eid, right).status_code == 429
    # the voter at another address is let in, and no failure row names either address
    with _client(opened, "203.0.113.9") as voter:
        assert _try_code(voter, eid, right).status_code == 303
    with svc.engine.begin() as conn:
        stored = {r.address for r in conn.execute(select(schema.code_failure))}
    assert stored and not any("198.51" in a or "203.0" in a for a in stored)


def test_a_right_code_is_never_counted_as_a_try(opened: dict[str, Any]) -> None:
    """One address (a polling station, a load test) may let in as many voters as come."""
    eid = opened["eid"]
    with _client(opened, "192.0.2.1") as station:
        for code in opened["codes"].values():
            station.cookies.clear()
            assert _try_code(station, eid, code).status_code == 303
    with opened["svc"].engine.begin() as conn:
        assert conn.execute(select(func.count()).select_from(schema.code_failure)).scalar() == 0


def test_guessing_across_addresses_raises_the_alarm(opened: dict[str, Any], tmp_path: Any) -> None:
    eid, svc = opened["eid"], opened["svc"]
    # a guesser spread over many addresses, each staying under its own limit
    per = security.ADDRESS_FAILURES_UNDER_ATTACK
    n = -(-security.ELECTION_FAILURES // per)
    for i in range(n):
        for _ in range(per):
            security.code_failed(svc, eid, f"10.0.{i // 250}.{i % 250}")
    report = core.scrutineer_report(svc, opened["a"], eid)
    kinds = [i["kind"] for i in report["incidents_and_extensions"]]
    assert kinds.count("code guessing") == 1
    log = core.audit_log(svc, opened["a"]["organisation_id"])
    assert [e["action"] for e in log].count("code guessing alarm") == 1
    assert core.verify_audit(log)
    # under attack, an address that has failed a few times is refused; a clean one is not
    assert not security.code_allowed(svc, eid, "10.0.0.0")
    assert security.code_allowed(svc, eid, "192.0.2.200")
    # more failures in the same window do not raise a second alarm
    security.code_failed(svc, eid, "10.9.9.9")
    kinds = [
        i["kind"] for i in core.scrutineer_report(svc, opened["a"], eid)["incidents_and_extensions"]
    ]
    assert kinds.count("code guessing") == 1
    # the alarm goes to the returning officer by mail, from the job table
    core.run_due_jobs(svc)
    alarms = list((tmp_path / "outbox").glob("alarm-*.eml"))
    assert len(alarms) == 1
    text = alarms[0].read_text()
    assert "To: ro@first.example" in text and "wrong voting codes" in text
    # and the other organisation hears nothing of it
    assert "second.example" not in text


# -- CSRF ----------------------------------------------------------------------------------------
def test_forms_without_the_sessions_token_are_refused(opened: dict[str, Any]) -> None:
    eid = opened["eid"]
    code = opened["codes"]["ada@example.org"]
    with _client(opened) as victim, _client(opened, "198.51.100.99") as attacker:
        victim.get(f"/e/{eid}/vote")
        # no token, and a token from the attacker's own session
        theirs = csrf_of(attacker.get(f"/e/{eid}/vote").text)
        for data in ({"code": code}, {"code": code, "csrf": theirs}, {"code": code, "csrf": ""}):
            r = victim.post(f"/e/{eid}/vote", data=data, follow_redirects=False)
            assert r.status_code == 403, r.text
        # the admin forms and the JSON API
        token = sign_in(victim, "ro@first.example", opened["passwords"]["a"])
        r = victim.post(f"/admin/e/{eid}/close", data={"csrf": theirs}, follow_redirects=False)
        assert r.status_code == 403
        r = victim.post(f"/api/elections/{eid}/close")
        assert r.status_code == 403 and "X-CSRF-Token" in r.json()["error"]
        r = victim.post(f"/api/elections/{eid}/close", headers={"X-CSRF-Token": theirs})
        assert r.status_code == 403
        r = victim.post("/logout", data={}, follow_redirects=False)
        assert r.status_code == 403
        assert core.election_info(opened["svc"], opened["a"], eid)["state"] == "open"
        # with the session's own token the same call works
        r = victim.post(f"/api/elections/{eid}/close", headers={"X-CSRF-Token": token})
        assert r.status_code == 200, r.text
    assert core.election_info(opened["svc"], opened["a"], eid)["state"] == "counted"


def test_session_cookie_is_strict_same_site(client: TestClient) -> None:
    r = client.get("/login")
    cookie = r.headers["set-cookie"].lower()
    assert "samesite=strict" in cookie and "httponly" in cookie


# -- session fixation ---------------------------------------------------------------------------
def _cookie(c: TestClient) -> str:
    values = [k.value for k in c.cookies.jar if k.name == "tallyroom"]
    assert len(values) == 1 and values[0]
    return str(values[0])


def _plant(c: TestClient, value: str) -> None:
    c.cookies.clear()
    c.cookies.set("tallyroom", value, domain="testserver.local")


def test_a_planted_session_does_not_become_the_victims(opened: dict[str, Any]) -> None:
    with _client(opened) as attacker:
        attacker.get("/login")
        planted = _cookie(attacker)
    with _client(opened) as victim:
        _plant(victim, planted)
        sign_in(victim, "ro@first.example", opened["passwords"]["a"])
        assert _cookie(victim) != planted
        assert victim.get("/api/session").status_code == 200
    with _client(opened) as attacker:
        _plant(attacker, planted)
        assert attacker.get("/api/session").status_code == 403
        assert attacker.get(f"/admin/e/{opened['eid']}").status_code == 403


def test_a_copied_admin_cookie_is_dead_after_signing_out(opened: dict[str, Any]) -> None:
    """The session cookie is signed, not encrypted into a promise: signing out ends the
    sign-in in the database, so a copy of the cookie taken before (a shared computer, a
    stolen backup) opens nothing afterwards, in this app or any other on the database."""
    eid = opened["eid"]
    with _client(opened) as admin:
        sign_in(admin, "ro@first.example", opened["passwords"]["a"])
        copied = _cookie(admin)
        page = admin.get(f"/admin/e/{eid}")
        assert page.status_code == 200
        r = admin.post("/logout", data={"csrf": csrf_of(page.text)}, follow_redirects=False)
        assert r.status_code == 303
    for app in range(2):  # the app that signed out, and another app process
        with _client(opened, f"198.51.100.{50 + app}") as thief:
            _plant(thief, copied)
            assert thief.get("/api/session").status_code == 403
            assert thief.get(f"/admin/e/{eid}").status_code == 403
            r = thief.get("/admin", follow_redirects=False)
            assert r.status_code == 303 and r.headers["location"] == "/login"
    with opened["svc"].engine.begin() as conn:
        assert conn.execute(select(func.count()).select_from(schema.admin_session)).scalar() == 0


def test_signing_out_ends_only_that_sign_in(opened: dict[str, Any]) -> None:
    with _client(opened) as laptop, _client(opened, "203.0.113.20") as phone:
        sign_in(laptop, "ro@first.example", opened["passwords"]["a"])
        sign_in(phone, "ro@first.example", opened["passwords"]["a"])
        page = laptop.get("/admin")
        laptop.post("/logout", data={"csrf": csrf_of(page.text)})
        assert laptop.get("/api/session").status_code == 403
        assert phone.get("/api/session").status_code == 200


def test_an_expired_sign_in_opens_nothing(opened: dict[str, Any]) -> None:
    """The server keeps the sign-in for SESSION_SECONDS whatever the cookie says."""
    from sqlalchemy import update

    with _client(opened) as admin:
        sign_in(admin, "ro@first.example", opened["passwords"]["a"])
        with opened["svc"].engine.begin() as conn:
            conn.execute(
                update(schema.admin_session).values(
                    at=schema.admin_session.c.at - security.SESSION_SECONDS
                )
            )
        assert admin.get("/api/session").status_code == 403


def _try_password(c: TestClient, email: str, password: str) -> Any:
    page = c.get("/login")
    return c.post(
        "/login",
        data={"csrf": csrf_of(page.text), "email": email, "password": password},
        follow_redirects=False,
    )


def test_password_guessing_is_limited_per_address_across_processes(
    opened: dict[str, Any],
) -> None:
    """The limit lives in the database: a guesser who moves to another app process (a
    second server behind the same balancer) finds it there too."""
    svc, right = opened["svc"], opened["passwords"]["a"]
    with _client(opened, "198.51.100.66") as guesser:
        for i in range(security.LOGIN_ADDRESS_FAILURES):
            assert _try_password(guesser, "ro@first.example", f"guess-{i}").status_code == 401
        r = _try_password(guesser, "ro@first.example", right)
        assert r.status_code == 429 and "Too many failed sign-ins" in r.text
    with _client(opened, "198.51.100.66") as same_address_elsewhere:
        # another app, another account: still the same address's limit
        r = _try_password(same_address_elsewhere, "ro@second.example", opened["passwords"]["b"])
        assert r.status_code == 429
    with _client(opened, "203.0.113.30") as the_officer:
        assert _try_password(the_officer, "ro@first.example", right).status_code == 303
    # neither the address nor the account is stored in clear
    with svc.engine.begin() as conn:
        rows = conn.execute(select(schema.login_failure)).all()
    assert len(rows) == security.LOGIN_ADDRESS_FAILURES
    assert not any("198.51" in r.address or "first" in r.account for r in rows)


def test_password_guessing_spread_over_addresses_is_limited_per_account(
    opened: dict[str, Any],
) -> None:
    svc = opened["svc"]
    for i in range(security.LOGIN_ACCOUNT_FAILURES):
        security.login_failed(svc, f"10.1.{i // 250}.{i % 250}", "ro@first.example")
    # the account is held (even its right password, from a clean address) ...
    with _client(opened, "192.0.2.77") as anyone:
        r = _try_password(anyone, "RO@first.example ", opened["passwords"]["a"])
        assert r.status_code == 429
        # ... and another account is not
        assert (
            _try_password(anyone, "ro@second.example", opened["passwords"]["b"]).status_code == 303
        )
    # once the window has passed, the failures no longer count
    from sqlalchemy import update

    with svc.engine.begin() as conn:
        conn.execute(
            update(schema.login_failure).values(
                at=schema.login_failure.c.at - security.LOGIN_WINDOW
            )
        )
    assert security.login_allowed(svc, "192.0.2.77", "ro@first.example")


def test_a_voter_session_is_new_after_the_code(opened: dict[str, Any]) -> None:
    eid = opened["eid"]
    with _client(opened) as attacker:
        attacker.get(f"/e/{eid}/vote")
        planted = _cookie(attacker)
    with _client(opened) as victim:
        _plant(victim, planted)
        assert _try_code(victim, eid, opened["codes"]["ada@example.org"]).status_code == 303
        assert _cookie(victim) != planted
    with _client(opened) as attacker:
        _plant(attacker, planted)
        r = attacker.get(f"/e/{eid}/ballot")
        assert r.status_code == 403 and "Executive" not in r.text


# -- clickjacking and the Content-Security-Policy -----------------------------------------------
def _pages(opened: dict[str, Any], c: TestClient) -> dict[str, Any]:
    eid = opened["eid"]
    pages = {
        p: c.get(p)
        for p in (
            "/",
            "/login",
            "/setup/not-a-token",
            f"/e/{eid}",
            f"/e/{eid}/vote",
            f"/e/{eid}/tracker",
            f"/e/{eid}/result",
            f"/e/{eid}/turnout.json",
            "/e/no-such-election",
            "/no-such-page",
            "/static/style.css",
            "/static/code.js",
            "/api/openapi.json",
            f"/e/{eid}/ballot",  # refused: no code yet
        )
    }
    pages["wrong code"] = _try_code(c, eid, WRONG)
    r = _try_code(c, eid, opened["codes"]["ada@example.org"])
    pages["ballot"] = c.get(f"/e/{eid}/ballot")
    ex, north = opened["contests"]["Executive"], opened["contests"]["North seat"]
    token = csrf_of(pages["ballot"].text)
    form = {f"c-{ex}-0": "1", f"c-{north}-1": "1"}
    pages["review"] = c.post(f"/e/{eid}/review", data={"csrf": token, **form})
    pages["review with a problem"] = c.post(
        f"/e/{eid}/review", data={"csrf": token, f"c-{ex}-0": "x"}
    )
    pages["receipt"] = c.post(f"/e/{eid}/cast", data={"csrf": token, **form})
    assert r.status_code == 303 and "tracker" in pages["receipt"].text
    sign_in(c, "ro@first.example", opened["passwords"]["a"])
    for p in ("/admin", f"/admin/e/{eid}", "/api/elections", f"/api/elections/{eid}/report"):
        pages[p] = c.get(p)
    return pages


def test_every_page_forbids_framing_and_inline_code(opened: dict[str, Any]) -> None:
    with _client(opened) as c:
        pages = _pages(opened, c)
    assert {p: r.status_code for p, r in pages.items() if r.status_code >= 500} == {}
    for name, r in pages.items():
        csp = r.headers.get("content-security-policy", "")
        directives = dict((d.strip().split(" ", 1) + [""])[:2] for d in csp.split(";"))
        assert directives.get("default-src") == "'none'", name
        assert directives.get("frame-ancestors") == "'none'", name
        assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp, name
        assert r.headers.get("x-frame-options") == "DENY", name
        assert r.headers.get("x-content-type-options") == "nosniff", name
        if r.headers.get("content-type", "").startswith("text/html"):
            # the pages work under the policy: no inline script, style or handler
            assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", r.text), name
            assert not re.search(r"<style|\sstyle=|\son[a-z]+=", r.text, re.I), name


def test_the_library_report_is_served_sandboxed(opened: dict[str, Any]) -> None:
    """The count's HTML report has inline scripts (its charts): it is served in a
    sandbox, an opaque origin that cannot read the service's cookies or pages."""
    svc, eid = opened["svc"], opened["eid"]
    core.close_election(svc, opened["a"], eid)
    with _client(opened) as c:
        cid = opened["contests"]["Executive"]
        r = c.get(f"/e/{eid}/result/{cid}.html")
        assert r.status_code == 200
        csp = r.headers["content-security-policy"]
        assert "sandbox allow-scripts" in csp and "allow-same-origin" not in csp
        assert "frame-ancestors 'self'" in csp and r.headers["x-frame-options"] == "SAMEORIGIN"


# -- admin routes across organisations ------------------------------------------------------------
# a body that each admin action would accept, so that only whose election it is refuses it
ACTIONS = ("open", "close", "remind", "reissue", "extend", "no-such-action")
MALLORY = {
    "csv": "number,name\nX1,Mallory\n",
    "member": "M001",
    "closes_at": "2099-01-01T00:00:00+00:00",
    "reason": "none",
}


def test_no_route_opens_another_organisations_election(opened: dict[str, Any]) -> None:
    """Every route of the app with an election in its path, tried by the second
    organisation's administrator with the first's election: all refused, nothing changed
    (Zeus' test_admins_cannot_access_other_elections)."""
    svc, eid = opened["svc"], opened["eid"]
    before = core.audit_log(svc, opened["a"]["organisation_id"])
    tried = []
    with _client(opened) as c:
        token = sign_in(c, "ro@second.example", opened["passwords"]["b"])
        for route in c.app.routes:  # type: ignore[attr-defined]
            path = getattr(route, "path", "")
            if "{eid}" not in path:
                continue
            actions = ACTIONS if "{action}" in path else ("-",)
            for method, action in [
                (m, x)
                for m in sorted(getattr(route, "methods", None) or {"GET"})
                for x in actions
                if m != "HEAD"
            ]:
                url = path.replace("{eid}", eid)
                for name, value in (
                    ("{action}", action),
                    ("{cid}", opened["contests"]["Executive"]),
                    ("{fmt}", "json"),
                ):
                    url = url.replace(name, value)
                if method == "GET":
                    r = c.get(url)
                elif url.endswith("/roll/upload"):
                    r = c.post(
                        url,
                        data={"csrf": token},
                        files={"roll": ("roll.csv", b"number,name\nX1,Mallory\n", "text/csv")},
                    )
                elif url.startswith("/api/"):
                    r = c.post(url, json=MALLORY, headers={"X-CSRF-Token": token})
                else:
                    r = c.post(url, data={"csrf": token, **MALLORY})
                tried.append((method, path.replace("{action}", action), r.status_code))
                public = path.startswith("/e/")
                if public:
                    # the voter's pages are public by design; none shows the roll or admin data
                    assert "ada@example.org" not in r.text and "M001" not in r.text
                else:
                    assert r.status_code in (403, 404), (method, path, r.status_code, r.text)
    admin_routes = [t for t in tried if not t[1].startswith("/e/")]
    assert len(admin_routes) >= 20, tried
    # the second organisation's own election is reachable: the refusals are about whose
    with _client(opened) as c:
        sign_in(c, "ro@second.example", opened["passwords"]["b"])
        assert c.get(f"/api/elections/{opened['other']}").status_code == 200
    assert core.audit_log(svc, opened["a"]["organisation_id"]) == before
    assert core.election_info(svc, opened["a"], eid)["state"] == "open"


# -- the ballot style -------------------------------------------------------------------------------
def test_a_contest_outside_the_ballot_style_is_not_cast(opened: dict[str, Any]) -> None:
    svc, eid = opened["svc"], opened["eid"]
    ex, north = opened["contests"]["Executive"], opened["contests"]["North seat"]
    with _client(opened) as c:
        assert _try_code(c, eid, opened["codes"]["bo@example.org"]).status_code == 303  # South
        page = c.get(f"/e/{eid}/ballot")
        assert "Executive" in page.text and "North seat" not in page.text
        # a hand-made form with marks for the North seat: they are not read
        token = csrf_of(page.text)
        r = c.post(f"/e/{eid}/cast", data={"csrf": token, f"c-{ex}-1": "1", f"c-{north}-0": "1"})
        assert r.status_code == 200
    assert _ballots(svc, north) == 0 and _ballots(svc, ex) == 1
    # and the core refuses such a paper outright
    with svc.engine.begin() as conn:
        s = next(
            r
            for r in conn.execute(
                select(schema.slot.c.id, schema.slot.c.issue, schema.slot.c.contests).where(
                    schema.slot.c.voted.is_(False)
                )
            )
            if r.contests == [ex]
        )
    with pytest.raises(core.ServiceError, match="does not receive"):
        core.cast(svc, eid, s.id, s.issue, {ex: {"0": 1}, north: {"0": 1}})
    assert _ballots(svc, north) == 0


# -- replayed and doubled submissions ------------------------------------------------------------------
def test_a_replayed_cast_is_refused(opened: dict[str, Any]) -> None:
    svc, eid = opened["svc"], opened["eid"]
    ex = opened["contests"]["Executive"]
    with _client(opened) as c:
        assert _try_code(c, eid, opened["codes"]["cy@example.org"]).status_code == 303
        token = csrf_of(c.get(f"/e/{eid}/ballot").text)
        saved = _cookie(c)
        form = {"csrf": token, f"c-{ex}-2": "1"}
        assert c.post(f"/e/{eid}/cast", data=form).status_code == 200
        # the same request again, with the cookie as it was before the cast
        _plant(c, saved)
        r = c.post(f"/e/{eid}/cast", data=form)
        assert r.status_code == 409 and "already been cast" in r.text
        # and the code itself no longer opens a ballot
        c.cookies.clear()
        r = _try_code(c, eid, opened["codes"]["cy@example.org"])
        assert r.status_code == 409 and "already been cast" in r.text
    assert _ballots(svc, ex) == 1 and _voted(svc) == 1


def test_a_doubled_submission_counts_once(opened: dict[str, Any]) -> None:
    """Eight casts of one paper at the same moment (a double click, eight tabs): one
    ballot, one slot voted, the rest refused."""
    svc, eid = opened["svc"], opened["eid"]
    ex = opened["contests"]["Executive"]
    with _client(opened) as c:
        assert _try_code(c, eid, opened["codes"]["di@example.org"]).status_code == 303
        token = csrf_of(c.get(f"/e/{eid}/ballot").text)
        cookie = _cookie(c)
    statuses: list[int] = []
    barrier = threading.Barrier(8)

    def cast() -> None:
        with _client(opened) as tab:
            _plant(tab, cookie)
            barrier.wait()
            statuses.append(
                tab.post(f"/e/{eid}/cast", data={"csrf": token, f"c-{ex}-3": "1"}).status_code
            )

    threads = [threading.Thread(target=cast) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200] + [409] * 7
    assert _ballots(svc, ex) == 1 and _voted(svc) == 1


def test_a_reissued_code_replaces_the_old_one(opened: dict[str, Any], tmp_path: Any) -> None:
    svc, eid = opened["svc"], opened["eid"]
    old = opened["codes"]["ada@example.org"]
    core.reissue(svc, opened["a"], eid, "M001")
    core.run_due_jobs(svc)
    new = emailed_codes(tmp_path / "outbox")["ada@example.org"]
    assert new != old
    with _client(opened) as c:
        assert _try_code(c, eid, old).status_code == 400
        c.cookies.clear()
        assert _try_code(c, eid, new).status_code == 303


# -- oversized and malformed fields ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "value",
    ["²", "١", "1" * 5000, "-1", "1.0", "0x1", " 1 ", "\x00", "9" * 7, "1e3", "\ud800"],
)
def test_malformed_ranks_are_sent_back_not_crashed_on(opened: dict[str, Any], value: str) -> None:
    svc, eid = opened["svc"], opened["eid"]
    ex = opened["contests"]["Executive"]
    with _client(opened) as c:
        assert _try_code(c, eid, opened["codes"]["ada@example.org"]).status_code == 303
        token = csrf_of(c.get(f"/e/{eid}/ballot").text)
        for route in ("review", "cast"):
            r = c.post(
                f"/e/{eid}/{route}",
                content=f"csrf={token}&c-{ex}-0={_q(value)}&c-{ex}-{_q(value)}=x".encode(),
                headers={"content-type": "application/x-www-form-urlencoded"},
            )
            # " 1 " is a 1 with spaces around it; everything else is refused as a rank
            assert r.status_code in ((200,) if value == " 1 " else (400,)), (route, r.text[:300])
    assert _ballots(svc, ex) == (1 if value == " 1 " else 0)


def _q(value: str) -> str:
    from urllib.parse import quote

    return quote(value.encode("utf-8", "surrogatepass"))


def test_oversized_bodies_are_refused_before_they_are_read(opened: dict[str, Any]) -> None:
    eid = opened["eid"]
    with _client(opened) as c:
        token = csrf_of(c.get(f"/e/{eid}/vote").text)
        big = "A" * (security.FORM_LIMIT + 1)
        r = c.post(f"/e/{eid}/vote", data={"csrf": token, "code": big})
        assert r.status_code == 413
        assert r.headers["x-frame-options"] == "DENY"

        def chunks() -> Any:
            yield f"csrf={token}&code=".encode()
            for _ in range(100):
                yield b"B" * 1024

        r = c.post(
            f"/e/{eid}/vote",
            content=chunks(),
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert r.status_code == 413
        r = c.post(f"/e/{eid}/vote", content=b"x", headers={"content-length": "nonsense"})
        assert r.status_code in (400, 413)
        # a long code that fits the limit is refused as a code, not crashed on
        r = _try_code(c, eid, "7" * 30000)
        assert r.status_code == 400 and "not a voting code" in r.text


@pytest.mark.parametrize(
    "body",
    [
        b"csrf=%ZZ&code=%FF%FE",
        b"&&&===&",
        b"csrf",
        b"\xff\xfe\x00",
        b"code=" + b"%00" * 1000,
    ],
)
def test_malformed_form_bodies(opened: dict[str, Any], body: bytes) -> None:
    eid = opened["eid"]
    with _client(opened) as c:
        c.get(f"/e/{eid}/vote")
        for path in (f"/e/{eid}/vote", f"/e/{eid}/review", f"/e/{eid}/cast", "/login"):
            r = c.post(
                path, content=body, headers={"content-type": "application/x-www-form-urlencoded"}
            )
            assert r.status_code in (400, 403), (path, r.status_code, r.text[:300])


def test_malformed_json_to_the_api(opened: dict[str, Any]) -> None:
    with _client(opened) as c:
        token = sign_in(c, "ro@first.example", opened["passwords"]["a"])
        h = {"X-CSRF-Token": token, "content-type": "application/json"}
        for body in (b"{", b"[]", b'{"title": 1}', b"null", b'"x"', b"{}"):
            r = c.post("/api/elections", content=body, headers=h)
            assert r.status_code in (400, 422), (body, r.status_code, r.text[:300])
            r = c.post(f"/api/elections/{opened['eid']}/roll", content=body, headers=h)
            assert r.status_code in (400, 409, 422), (body, r.status_code, r.text[:300])


def test_no_telemetry_whatever_the_environment_says(svc, monkeypatch):
    """FastAPI's own OpenTelemetry instrumentation would add an OTLP exporter when
    FASTAPI_OTEL_AUTO_CONFIGURE=true and record exception messages; the service turns
    every part of it off (nothing leaves the machine, no form reaches a log)."""
    monkeypatch.setenv("FASTAPI_OTEL_AUTO_CONFIGURE", "true")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9/")
    app = create_app(svc, run_jobs=False)
    config = app._telemetry
    assert not any(config[k] for k in ("tracing", "metrics", "logs", "operation_spans"))
    assert config["auto_configure"] is False
    assert not app._native_telemetry.enabled()
