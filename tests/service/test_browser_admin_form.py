"""The "new election" page in headless Chromium: axe finds no WCAG 2.2 A/AA violation at
1280 and 390 px, blank and with errors (screenshots in ``artifacts/browser/service/``);
with JavaScript off, an officer adds a second contest and creates the election by
keyboard and clicks alone.

Skipped only where Chromium is not installed and ``CI`` is unset (as test_browser.py).
"""

from __future__ import annotations

import re
from typing import Any

from tallyroom.service import core

from .conftest import PASSWORD
from .test_browser import browser, check_page, server  # noqa: F401 (fixtures)


def sign_in(page: Any, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/admin")


def fill(page: Any) -> None:
    page.fill("#title", "Committee election")
    page.fill("#time_zone", "Europe/London")
    page.fill("#opens", "2027-07-01T09:00")
    page.fill("#closes", "2027-07-08T17:30")
    page.fill("#c0-title", "Committee")
    page.select_option("#c0-rule", "scottish-stv")
    page.fill("#c0-seats", "2")
    page.fill("#c0-candidates", "Ada; gender=woman\nBen; gender=man\nCal\nDee; gender=woman")


def test_the_new_election_form_in_the_browser(server: dict[str, Any], browser: Any) -> None:  # noqa: F811
    svc, base = server["svc"], server["base"]
    a = core.create_organisation(svc, "Form Society", "form@example.org", PASSWORD)

    ctx = browser.new_context(bypass_csp=True)  # bypass_csp only to inject axe
    page = ctx.new_page()
    sign_in(page, base, "form@example.org")
    page.click("text=Create an election")
    page.wait_for_url(f"{base}/admin/new")
    check_page(page, "admin-new")
    fill(page)
    page.fill("#c0-seats", "0")
    page.fill("#c0-candidates", "Ada\nBen\nAda")
    page.click("button:text('Create the election')")
    assert page.locator("#problems").is_visible()
    assert "expected a whole number, 1 or more" in page.inner_text("#c0-seats-error")
    assert "names must differ" in page.inner_text("#c0-candidates-error")
    check_page(page, "admin-new-errors")
    ctx.close()

    nojs = browser.new_context(java_script_enabled=False)
    page = nojs.new_page()
    sign_in(page, base, "form@example.org")
    page.goto(f"{base}/admin/new")
    fill(page)
    page.click("button:text('Add another contest')")
    assert page.input_value("#title") == "Committee election"  # kept
    page.fill("#c1-title", "Motion 1")
    page.select_option("#c1-ballot_type", "yesno")
    page.select_option("#c1-rule", "fptp")
    page.click("button:text('Create the election')")
    page.wait_for_url(re.compile(r".*/admin/e/[^/]+\?done=election.*"))
    eid = page.url.rsplit("/", 1)[1].split("?")[0]
    e = core.election_info(svc, a, eid)
    assert [c["title"] for c in e["contests"]] == ["Committee", "Motion 1"]
    assert e["opens_at"].startswith("2027-07-01T08:00")  # 09:00 BST
    nojs.close()
