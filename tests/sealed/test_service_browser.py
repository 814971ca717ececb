"""A sealed election in a real browser (Debian's Chromium, driven by Playwright, against the
service run by uvicorn): voters enter their emailed codes, number candidates, review and
cast; each voter finds their tracking code on the public board and checks it on the
tracker page; at the close the scrutineer's shuffle and two trustees' decryptions are
posted over HTTP as their commands print them; the published result equals the plaintext
count of the same papers, and the record fetched over HTTP verifies with ``tallyroom
verify``.

Skipped only where Chromium is not installed and ``CI`` is unset (as tests/test_browser.py).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("nacl")
pytest.importorskip("uvicorn")

CHROMIUM = os.environ.get("TALLYROOM_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
ARTIFACTS = Path(__file__).parent.parent.parent / "artifacts" / "browser" / "sealed"

if not (os.path.exists(CHROMIUM) or shutil.which("chromium")) and not os.environ.get("CI"):
    pytest.skip(
        f"Chromium is not installed at {CHROMIUM} (run .ci/install-browser)",
        allow_module_level=True,
    )

import httpx  # noqa: E402
import nacl.signing  # noqa: E402

# the voter's pages are checked as the plaintext ones are (WCAG 2.2 A/AA, both widths)
from service.test_browser import check_page  # noqa: E402  (tests/service, a sibling)
from tallyroom import count  # noqa: E402
from tallyroom.cli import main as tallyroom_main  # noqa: E402
from tallyroom.sealed import box  # noqa: E402
from tallyroom.sealed.group import Ed25519Group  # noqa: E402
from tallyroom.sealed.simulate import ceremony  # noqa: E402
from tallyroom.service import core, sealed  # noqa: E402
from tallyroom.service.db import iso, now, sqlite_url  # noqa: E402

G = Ed25519Group()
NAMES = ["Ada Ames", "Ben Bold", "Cy Crane", "Di Dawes"]
# each voter's numbers against the candidates (by name), one blank paper among them
VOTES: list[dict[str, int]] = [
    {"Ada Ames": 1, "Ben Bold": 2},
    {"Ben Bold": 1, "Cy Crane": 2, "Ada Ames": 3},
    {"Cy Crane": 1},
    {"Di Dawes": 1, "Ada Ames": 2},
    {"Ada Ames": 1, "Di Dawes": 2, "Cy Crane": 3},
    {},
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _codes(outbox: Path) -> dict[str, str]:
    out = {}
    for f in sorted(outbox.glob("*.eml")):
        msg = message_from_bytes(f.read_bytes())
        body = msg.get_payload(decode=True).decode()  # type: ignore[union-attr]
        m = re.search(r"^ {4}([0-9A-Z*~$=-]+)$", body, re.M)
        if m:
            out[str(msg["To"])] = m.group(1)
    return out


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    import uvicorn

    from tallyroom.service.web import create_app

    d = tmp_path_factory.mktemp("sealed-serve")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    svc = core.Service.open(sqlite_url(d), outbox=d / "outbox", base_url=base)
    a = core.create_organisation(svc, "Test Society", "ro@example.org", "correct horse battery")
    from datetime import timedelta

    eid = core.create_election(
        svc,
        a,
        {
            "title": "Council 2026",
            "opens_at": iso(now() - timedelta(minutes=5)),
            "closes_at": iso(now() + timedelta(days=3)),
            "eligibility": [],
            "contests": [{"title": "Council", "rule": "irv", "seats": 1, "candidates": NAMES}],
        },
    )
    roll = io.StringIO()
    w = csv.DictWriter(roll, fieldnames=list(core.ROLL_FIELDS), lineterminator="\n")
    w.writeheader()
    for i in range(len(VOTES)):
        w.writerow(
            {f: "" for f in core.ROLL_FIELDS}
            | {"number": f"M{i}", "name": f"Member {i}", "email": f"m{i}@example.org"}
        )
    core.import_roll(svc, a, eid, roll.getvalue())
    trustee_secrets, params = ceremony(G, eid, 3, 2)
    scrutineer = nacl.signing.SigningKey.generate()
    sealed.seal(svc, a, eid, params, scrutineer.verify_key.encode().hex())
    core.open_election(svc, a, eid)
    while core.run_due_jobs(svc):
        pass
    codes = _codes(d / "outbox")
    assert len(codes) == len(VOTES)
    app = create_app(svc, run_jobs=False)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    t = threading.Thread(target=srv.run, daemon=True)
    t.start()
    for _ in range(200):
        if srv.started:
            break
        time.sleep(0.05)
    yield {
        "svc": svc,
        "admin": a,
        "id": eid,
        "base": base,
        "codes": [codes[f"m{i}@example.org"] for i in range(len(VOTES))],
        "trustees": trustee_secrets,
        "scrutineer": scrutineer,
    }
    srv.should_exit = True
    t.join(timeout=10)
    svc.engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def _vote(browser: Any, base: str, eid: str, code: str, marks: dict[str, int], i: int) -> str:
    # the first voter's pages are checked with axe at both widths (the CSP bypassed only to
    # inject axe); the others vote under the pages' own CSP, as every voter does
    page = browser.new_page(viewport={"width": 1280, "height": 900}, bypass_csp=i == 0)

    def check(name: str) -> None:
        if i == 0:
            check_page(page, name)

    page.goto(f"{base}/e/{eid}/vote")
    check("sealed-code")
    page.get_by_label("Voting code").fill(code)
    page.get_by_role("button", name="Continue to the ballot").click()
    check("sealed-ballot")
    for name, k in marks.items():
        page.get_by_label(name).fill(str(k))
    page.get_by_role("button", name="Check my vote").click()
    check("sealed-review")
    page.get_by_role("button", name="Cast my vote").click()
    tracker = page.locator(".tracker").inner_text().strip()
    check("sealed-receipt")
    # the voter checks: on the public board, and on the tracker page
    page.goto(f"{base}/e/{eid}/board")
    on_board = [t.strip() for t in page.locator(".board-tracker").all_inner_texts()]
    assert tracker in on_board
    check("sealed-board")
    page.goto(f"{base}/e/{eid}/tracker")
    page.get_by_label("Tracking code").fill(tracker.upper())
    page.get_by_role("button", name="Check").click()
    assert "This ballot is in the box." in page.get_by_role("status").inner_text()
    check("sealed-tracker")
    page.close()
    return tracker


def test_a_sealed_election_in_the_browser(
    server: dict[str, Any], browser: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    base, eid, svc = server["base"], server["id"], server["svc"]
    receipts = [
        _vote(browser, base, eid, code, marks, i)
        for i, (code, marks) in enumerate(zip(server["codes"], VOTES))
    ]
    assert len(set(receipts)) == len(VOTES)
    with httpx.Client(base_url=base, timeout=120) as http:
        (b,) = http.get(f"/e/{eid}/board.json").json()
        cid = b["contest"]
        # the board's trackers are the receipts, in casting order
        assert [e["tracker"] for e in b["entries"]] == receipts
        # signed checkpoints come at most every 5 minutes while voting (the first when the
        # board was first read); the close signs one covering the whole board (in the record)
        assert [cp["count"] for cp in b["checkpoints"]] == [1]
        # a tracker nobody got is not in the box
        form = http.get(f"/e/{eid}/tracker")
        token = form.text.split('name="csrf" value="')[1].split('"')[0]
        page = http.post(f"/e/{eid}/tracker", data={"csrf": token, "t": "0" * 64})
        assert "No ballot with this tracking code is in the box." in page.text

        core.close_election(svc, server["admin"], eid)
        # the service's shuffle is a job (the app's drain runs it; here, by hand)
        while core.run_due_jobs(svc):
            pass
        assert http.get(f"/e/{eid}/result").status_code == 404  # waits for the trustees
        mix = http.get(f"/e/{eid}/sealed/{cid}/mix.json").json()
        el = mix["election"]
        s2 = box.mix(
            G,
            el,
            mix["shuffles"][0]["ciphertexts"],
            index=1,
            mixer="scrutineer",
            mixer_seed=server["scrutineer"].encode().hex(),
        )
        # the uploads are for signed-in staff (here the returning officer, who made the
        # election); a JSON post sends the session's CSRF token
        assert http.post(f"/e/{eid}/sealed/{cid}/shuffle", json=s2).status_code == 403
        login = http.get("/login").text
        token = login.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        http.post(
            "/login",
            data={"csrf": token, "email": "ro@example.org", "password": "correct horse battery"},
        )
        http.headers["x-csrf-token"] = http.get("/api/session").json()["csrf"]
        r = http.post(f"/e/{eid}/sealed/{cid}/shuffle", json=s2)
        assert r.status_code == 200, r.text
        mix = http.get(f"/e/{eid}/sealed/{cid}/mix.json").json()
        last = mix["shuffles"][-1]["ciphertexts"]
        for j in (0, 2):  # trustees 1 and 3
            pd = box.partial_decrypt(G, el, server["trustees"][j], last)
            r = http.post(f"/e/{eid}/sealed/{cid}/decryption", json=pd)
            assert r.status_code == 200, r.text
        # the k-th decryption queued the opening: the app's drain runs it (here, by hand)
        assert r.json() == {"accepted": "decryption", "needed": 0, "opened": False}
        while core.run_due_jobs(svc):
            pass
        page = http.get(f"/e/{eid}/result")
        assert page.status_code == 200
        record = http.get(f"/e/{eid}/sealed/{cid}/record.json").content
    # the opening's page (where each contest's opening stands) and the published result
    seen = browser.new_page(bypass_csp=True)
    for name in ("opening", "result"):
        seen.goto(f"{base}/e/{eid}/{name}")
        check_page(seen, f"sealed-{name}")
    seen.close()
    # the result equals the plaintext count of the same papers
    with svc.engine.begin() as conn:
        (c,) = core._contests(conn, eid)
    papers = [{str(NAMES.index(n)): k for n, k in v.items()} for v in VOTES]
    want = list(count(core.profile_of(c, papers), "irv").elected)
    (res,) = core.result(svc, eid)
    assert json.loads(res["record_json"])["elected"] == want
    assert json.loads(record)["result"]["elected"] == want
    assert json.loads(record)["board"]["checkpoints"][-1]["count"] == len(VOTES)
    # and the record verifies with the command anyone can run
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / "record.json"
    path.write_bytes(record)
    capsys.readouterr()
    with pytest.raises(SystemExit) as done:
        tallyroom_main(["verify", str(path)])
    out = capsys.readouterr().out
    assert int(done.value.code or 0) == 0 and "VERIFIED" in out and "Terelius" in out
