"""Candidates' statements on the ballot in headless Chromium: axe finds no WCAG 2.2 A/AA
violation with the statements closed and open, at 1280 and 390 px; a voter opens one by
keyboard alone (Tab to it, Enter), and with JavaScript off the disclosure still opens.

Skipped only where Chromium is not installed and ``CI`` is unset (as test_browser.py).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tallyroom.service import core
from tallyroom.service.db import iso, now

from .conftest import PASSWORD
from .test_browser import browser, check_page, server, tab_to  # noqa: F401 (fixtures)


def test_statements_open_by_keyboard_and_without_javascript(
    server: dict[str, Any],  # noqa: F811
    browser: Any,  # noqa: F811
) -> None:
    svc, base, sink = server["svc"], server["base"], server["sink"]
    a = core.create_organisation(svc, "Statement Society", "st@example.org", PASSWORD)
    long = "I have served two terms as treasurer and will publish every account. " * 6
    spec = {
        "title": "Statements ballot",
        "opens_at": iso(now() - timedelta(minutes=1)),
        "closes_at": iso(now() + timedelta(days=2)),
        "contests": [
            {
                "title": "Committee",
                "rule": "scottish-stv",
                "seats": 2,
                "candidates": [
                    {"name": "Ada Lovelace", "statement": long.strip()[:500]},
                    {"name": "Ben Okri"},
                    {"name": "Cal Ng", "statement": "First paragraph.\n\nSecond paragraph."},
                ],
            },
            {
                "title": "Treasurer",
                "rule": "fptp",
                "ballot_type": "x",
                "max_marks": 1,
                "candidates": [{"name": "Dee", "statement": "Dee's."}, {"name": "Eli"}],
            },
        ],
    }
    eid = core.create_election(svc, a, spec)
    roll = "number,name,email\n1,One,st1@example.org\n2,Two,st2@example.org\n"
    core.import_roll(svc, a, eid, roll)
    core.open_election(svc, a, eid)
    core.run_due_jobs(svc)
    codes = sink.codes()
    com, tre = (c["id"] for c in core.election_info(svc, a, eid)["contests"])

    ctx = browser.new_context(bypass_csp=True)
    vp = ctx.new_page()
    vp.goto(f"{base}/e/{eid}/vote")
    vp.fill("#code", codes["st1@example.org"])
    with vp.expect_navigation():
        vp.keyboard.press("Enter")
    check_page(vp, "ballot-statements-closed")
    summary = f"#st-{com}-0 summary"
    assert vp.evaluate(f"document.querySelector('#st-{com}-0').open") is False
    tab_to(vp, summary)
    vp.keyboard.press("Enter")
    assert vp.evaluate(f"document.querySelector('#st-{com}-0').open") is True
    assert "will publish every account" in vp.inner_text(f"#st-{com}-0")
    for d in vp.query_selector_all("details"):  # every statement open
        d.evaluate("d => { d.open = true; }")
    check_page(vp, "ballot-statements-open")
    # the field after the statement is still reached by Tab
    tab_to(vp, f"#c-{com}-1")
    ctx.close()

    nojs = browser.new_context(java_script_enabled=False)
    p = nojs.new_page()
    p.goto(f"{base}/e/{eid}/vote")
    p.fill("#code", codes["st2@example.org"])
    with p.expect_navigation():
        p.keyboard.press("Enter")
    p.click(f"#st-{tre}-0 summary")
    assert "Dee's." in p.inner_text(f"#st-{tre}-0")
    p.click(f"#st-{tre}-1 summary")
    assert "Eli gave no statement." in p.inner_text(f"#st-{tre}-1")
    nojs.close()
