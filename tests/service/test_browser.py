"""A whole election in a real browser (Debian's Chromium, driven by Playwright): an
administrator signs up through the one-time link, creates an NEC-like election, uploads a
roll of 10,000 fictional members and opens it; mail goes to a local SMTP sink (aiosmtpd)
and letters come out as PDF; voters vote by keyboard only and with JavaScript off; a code
is re-issued; the clock closes the election; the result equals ``tallyroom count`` on the
downloaded ballots. axe (tests/vendor/axe-core) checks every page against WCAG 2.2 A/AA at
1280 and 390 px wide; screenshots go to ``artifacts/browser/service/``.

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
from datetime import timedelta
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest

from tallyroom.service import core, demo
from tallyroom.service.db import now, sqlite_url

ROOT = Path(__file__).parent.parent.parent
ARTIFACTS = ROOT / "artifacts" / "browser" / "service"
AXE = ROOT / "tests" / "vendor" / "axe-core" / "axe.min.js"
CHROMIUM = os.environ.get("TALLYROOM_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
WIDTHS = (1280, 390)
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

if not (os.path.exists(CHROMIUM) or shutil.which("chromium")) and not os.environ.get("CI"):
    pytest.skip(
        f"Chromium is not installed at {CHROMIUM} (run .ci/install-browser)",
        allow_module_level=True,
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Sink:
    """A local SMTP server that keeps what it receives (aiosmtpd)."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.messages: list[Any] = []
        sink = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                sink.messages.append(message_from_bytes(envelope.content))
                return "250 OK"

        self.port = _free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def codes(self) -> dict[str, str]:
        out = {}
        for m in self.messages:
            body = m.get_payload(decode=True).decode().replace("\r\n", "\n")
            found = re.search(r"^ {4}([0-9A-Z*~$=-]+)$", body, re.M)
            assert found, body
            out[m["To"]] = found.group(1)
        return out


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    import uvicorn

    from tallyroom.service.web import create_app

    tmp = tmp_path_factory.mktemp("serve")
    sink = Sink()
    sink.controller.start()
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    svc = core.Service.open(
        sqlite_url(tmp), base_url=base, smtp=("127.0.0.1", sink.port), outbox=None
    )
    config = uvicorn.Config(
        create_app(svc, run_jobs=False), host="127.0.0.1", port=port, log_level="warning"
    )
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(100):
        if srv.started:
            break
        time.sleep(0.05)
    assert srv.started
    yield {"svc": svc, "base": base, "sink": sink, "tmp": tmp}
    srv.should_exit = True
    thread.join(10)
    sink.controller.stop()
    svc.engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def check_page(page: Any, name: str) -> None:
    """axe finds no WCAG 2.2 A/AA violation at either width; a screenshot of each."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        if not page.evaluate("typeof axe !== 'undefined'"):
            page.add_script_tag(path=str(AXE))
        found = page.evaluate(
            "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}}))"
            ".violations.map(v => ({id: v.id, help: v.help, nodes: v.nodes.map(n => n.target)}))",
            TAGS,
        )
        assert found == [], f"{name} at {width}px: {json.dumps(found, indent=1)}"
        # nothing wider than the screen (WCAG 1.4.10 reflow)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, (name, width)
        page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def tab_to(page: Any, selector: str, limit: int = 80) -> None:
    """Move the focus with the Tab key alone until it reaches ``selector``."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_a_whole_election_in_the_browser(server: dict[str, Any], browser: Any) -> None:
    svc, base, sink = server["svc"], server["base"], server["sink"]
    # bypass_csp lets the test inject axe; the pages' own CSP is checked in test_web.py
    ctx = browser.new_context(bypass_csp=True, accept_downloads=True)
    page = ctx.new_page()

    # -- the administrator signs up through the first-run link -------------------------------
    link = core.first_run_link(svc)
    assert link is not None
    page.goto(link.replace("http://127.0.0.1:8000", base))
    check_page(page, "setup")
    page.fill("#organisation", "Fictional Party")
    page.fill("#email", "ro@example.org")
    page.fill("#password", "a long enough password")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/admin")
    check_page(page, "admin")

    # -- creates the election (the JSON API, from the signed-in session) --------------------
    spec = demo.nec_spec(now() - timedelta(minutes=1), now() + timedelta(days=7))
    token = page.evaluate("async () => (await (await fetch('/api/session')).json()).csrf")
    made = page.evaluate(
        """async ([spec, token]) => (await fetch('/api/elections', {method: 'POST',
             headers: {'Content-Type': 'application/json', 'X-CSRF-Token': token},
             body: JSON.stringify(spec)})).json()""",
        [spec, token],
    )
    eid = made["id"]

    # -- uploads a roll of 10,000 members and opens the election -----------------------------
    roll = demo.roll_csv(10_000)
    roll_file = server["tmp"] / "roll.csv"
    # the upload takes the roll's own field names (the demo's columns renamed)
    header, rest = roll.split("\n", 1)
    header = header.rstrip("\r")
    header = ",".join({v: k for k, v in demo.ROLL_MAPPING.items()}[h] for h in header.split(","))
    roll_file.write_text(header + "\n" + rest)
    page.goto(f"{base}/admin/e/{eid}")
    check_page(page, "admin-election-draft")
    page.set_input_files("#roll", str(roll_file))
    page.click("text=Import the roll")
    page.wait_for_url(re.compile(r".*done=roll.*"))
    expected_eligible = sum(
        1
        for r in csv.DictReader(io.StringIO(roll))
        if r["Joined"] <= "2026-06-30"
        and r["Paid up until"] >= "2026-11-01"
        and r["Status"] == "member"
    )
    assert f"roll imported: {expected_eligible} eligible" in page.inner_text("main")
    page.click("text=Open the election now")
    page.wait_for_url(re.compile(r".*done=open.*"))
    info = core.election_info(
        svc, core.authenticate(svc, "ro@example.org", "a long enough password"), eid
    )
    assert info["state"] == "open" and info["roll_certificate"]["eligible"] == expected_eligible
    check_page(page, "admin-election-open")

    # -- mail to the SMTP sink (the first 40 queued), letters and the mail-house file -------
    core.run_due_jobs(svc, limit=41)  # the (done) opening job and 40 mails
    emailed = sink.codes()
    assert len(emailed) == 40
    with page.expect_download() as dl:
        page.evaluate(f"window.location = '/api/elections/{eid}/mailhouse.csv'")
    house = list(csv.DictReader(io.StringIO(Path(dl.value.path()).read_text())))
    posted = {r["member"]: r["code"] for r in house}
    assert len(posted) == info["roll_certificate"]["channels"]["post"]
    letters = page.request.get(f"{base}/api/elections/{eid}/letters.pdf")
    assert letters.ok and letters.body().startswith(b"%PDF")

    members = {r["Membership No"]: r for r in csv.DictReader(io.StringIO(roll))}
    north_post = sorted(n for n in posted if members[n]["Region"] == "North")

    # -- a voter by keyboard only (JavaScript on), through the public notice ---------------
    voter = browser.new_context(bypass_csp=True)
    vp = voter.new_page()
    vp.goto(f"{base}/e/{eid}")
    check_page(vp, "notice")
    vp.goto(f"{base}/e/{eid}/vote")
    check_page(vp, "code")
    tab_to(vp, "#code")
    vp.keyboard.type(posted[north_post[0]].lower().replace("-", " "))
    vp.keyboard.press("Enter")
    vp.wait_for_url(f"{base}/e/{eid}/ballot")
    check_page(vp, "ballot")
    nec, north, youth, motion = (c["id"] for c in info["contests"])
    # numbers beside four candidates, then the North seat, by Tab and typing alone
    for k, i in enumerate((3, 0, 5, 1), 1):
        tab_to(vp, f"#c-{nec}-{i}")
        vp.keyboard.type(str(k))
    tab_to(vp, f"#c-{north}-2")
    vp.keyboard.type("1")
    tab_to(vp, f"#c-{motion}-0")
    vp.keyboard.press("Space")
    tab_to(vp, "button[type=submit]")
    with vp.expect_navigation():  # not wait_for_load_state: the old page is loaded already
        vp.keyboard.press("Enter")
    assert "Check your vote" in vp.inner_text("h1")
    check_page(vp, "review")
    tab_to(vp, "form[action$='/cast'] button")
    with vp.expect_navigation():
        vp.keyboard.press("Enter")
    tracker = vp.inner_text(".tracker")
    check_page(vp, "receipt")
    vp.goto(f"{base}/e/{eid}/tracker")
    vp.fill("#t", tracker)
    tab_to(vp, "form[action$='/tracker'] button")
    with vp.expect_navigation():
        vp.keyboard.press("Enter")
    assert "/tracker?" not in vp.url  # the tracker went in the body, not the address
    assert "This ballot is in the box." in vp.inner_text("main")
    check_page(vp, "tracker")

    # an error sent back is announced and keeps the voter's numbers
    vp2 = voter.new_page()
    vp2.goto(f"{base}/e/{eid}/vote")
    vp2.fill("#code", posted[north_post[1]])
    vp2.click("button[type=submit]")
    vp2.fill(f"#c-{nec}-0", "99")
    vp2.fill(f"#c-{nec}-1", "1")
    vp2.click("text=Check my vote")
    assert "write a number from 1 to 14" in vp2.inner_text("[role=alert]")
    assert vp2.input_value(f"#c-{nec}-1") == "1"
    check_page(vp2, "ballot-error")

    # -- voters with JavaScript off: one by email, one by post with a re-issued code ---------
    nojs = browser.new_context(java_script_enabled=False)
    casts = 1
    email_voter = next(iter(emailed))
    old_code = posted.get(north_post[2])
    core.reissue(
        svc, core.authenticate(svc, "ro@example.org", "a long enough password"), eid, north_post[2]
    )
    with page.expect_download() as dl:
        page.evaluate(f"window.location = '/api/elections/{eid}/mailhouse.csv'")
    new_code = {
        r["member"]: r["code"]
        for r in csv.DictReader(io.StringIO(Path(dl.value.path()).read_text()))
    }[north_post[2]]
    assert new_code != old_code
    ballots = []
    for code, ranking in ((emailed[email_voter], (0, 1)), (old_code, (2,)), (new_code, (2, 0))):
        p = nojs.new_page()
        p.goto(f"{base}/e/{eid}/vote")
        p.fill("#code", code)
        p.click("button[type=submit]")
        if code == old_code:
            assert "not valid" in p.inner_text("[role=alert]")
            continue
        for k, i in enumerate(ranking, 1):
            p.fill(f"#c-{nec}-{i}", str(k))
        p.click("text=Check my vote")
        p.click("text=Cast my vote")
        assert p.inner_text(".tracker")
        ballots.append(ranking)
        casts += 1
    assert core.public_election(svc, eid)["turnout"]["voted"] == casts

    # -- the clock closes it; the result is the library's count ------------------------------
    later = now() + timedelta(days=8)
    orig = core.now
    core.now = lambda: later  # type: ignore[assignment]
    try:
        core.run_due_jobs(svc, limit=10_000)
    finally:
        core.now = orig  # type: ignore[assignment]
    vp.goto(f"{base}/e/{eid}/result")
    check_page(vp, "result")
    blt = vp.request.get(f"{base}/e/{eid}/result/{nec}.blt").text()
    cands = vp.request.get(f"{base}/e/{eid}/result/{nec}-candidates.csv").text()
    published = json.loads(vp.request.get(f"{base}/e/{eid}/result/{nec}.json").text())
    folder = server["tmp"] / "recount"
    folder.mkdir()
    (folder / f"{nec}.blt").write_text(blt)
    (folder / f"{nec}-candidates.csv").write_text(cands)
    from tallyroom.cli import main as cli_main

    with pytest.raises(SystemExit) as done:
        cli_main(
            ["count", str(folder / f"{nec}.blt"), "-m", "scottish-stv", "--candidates",
             str(folder / f"{nec}-candidates.csv"), "--constraint", "gender=woman:min=4",
             "--format", "json", "-o", str(folder / "recount.json")]
        )  # fmt: skip
    assert done.value.code == 0
    mine = json.loads((folder / "recount.json").read_text())
    mine = mine[0] if isinstance(mine, list) else mine
    assert mine["elected"] == published["elected"]
    assert [s["totals"] for s in mine["stages"]] == [s["totals"] for s in published["stages"]]
    assert published["valid"] == str(casts)
    # first preferences: candidate 3 (keyboard voter), 0 (email voter), 2 (re-issued code)
    names = [c["name"] for c in info["contests"][0]["candidates"]]
    first = {k: v for k, v in published["stages"][0]["totals"].items() if not v.startswith("0")}
    assert {k: v.split(".")[0] for k, v in first.items()} == {
        names[3]: "1",
        names[0]: "1",
        names[2]: "1",
    }

    # -- the scrutineer's report states the right numbers ------------------------------------
    rep = page.request.get(f"{base}/api/elections/{eid}/report").json()
    assert rep["slots_marked_voted"] == casts and rep["papers_in_ballot_box"] == casts
    assert rep["reissued_codes"] == 1
    assert rep["voting_papers_returned_by_channel"] == {"post": 2, "email": 1}
    assert rep["roll_certificate"]["eligible"] == expected_eligible
    assert rep["deliveries"] and {d["outcome"] for d in rep["deliveries"]} >= {"sent", "printed"}
    page.goto(f"{base}/admin/e/{eid}")
    check_page(page, "admin-election-counted")
    page.goto(f"{base}/login")
    check_page(page, "login")
    page.goto(f"{base}/")
    check_page(page, "home")
