"""A whole small election over HTTP: codes by email and by post, the ballot, the review
page, one counted ballot per slot, re-issue, reminders, the close by the clock, the count
and what the scrutineer's report states.

The ballots cast are written here, so the first-preference totals and the turnout are
known before the count; the published count is checked against ``tallyroom count`` run on
the ballots downloaded from the result page.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pypdfium2 as pdfium
import pytest
import zxingcpp
from fastapi.testclient import TestClient

from tallyroom.cli import main as cli_main
from tallyroom.service import core, mail
from tallyroom.service.db import now
from tallyroom.service.web import create_app

from .conftest import PASSWORD, admin_of, csrf_of, emailed_codes, roll_text, spec, vote

CANDIDATES = [
    {"name": "Ada", "attributes": {"gender": "woman"}},
    {"name": "Ben", "attributes": {"gender": "man"}},
    {"name": "Cal", "attributes": {"gender": "man"}},
    {"name": "Dee", "attributes": {"gender": "woman"}},
]
CONTESTS = [
    {"title": "Committee", "rule": "scottish-stv", "seats": 2, "candidates": CANDIDATES,
     "constraints": ["gender=woman:min=1"]},
    {"title": "Treasurer", "rule": "fptp", "ballot_type": "x", "max_marks": 1,
     "candidates": ["Eli", "Fox"]},
    {"title": "Motion 1", "rule": "fptp", "ballot_type": "yesno"},
]  # fmt: skip
# members 1-8 by email, 9 and 10 share an address (post), 11 has none (post)
ROWS = [
    {"number": str(i), "name": f"Member {i}", "email": f"m{i}@example.org"} for i in range(1, 9)
]
ROWS += [
    {"number": "9", "name": "Member 9", "email": "home@example.org", "address": "1 Road; Town"},
    {"number": "10", "name": "Member 10", "email": "home@example.org", "address": "1 Road; Town"},
    {"number": "11", "name": "Member 11", "address": "2 Lane; Town"},
]


def ranked(cid: str, *order: int) -> dict[str, str]:
    return {f"c-{cid}-{i}": str(k) for k, i in enumerate(order, 1)}


@pytest.fixture
def election(svc):
    a = admin_of(svc)
    eid = core.create_election(svc, a, spec(CONTESTS))
    core.import_roll(svc, a, eid, roll_text(ROWS))
    core.open_election(svc, a, eid)
    core.run_due_jobs(svc)
    ids = [c["id"] for c in core.election_info(svc, a, eid)["contests"]]
    return svc, a, eid, ids


def test_codes_go_by_email_and_by_post(election):
    svc, a, eid, _ = election
    emailed = emailed_codes(svc.outbox)
    assert sorted(emailed) == [f"m{i}@example.org" for i in range(1, 9)]
    assert all(core.codes.normalise(c) for c in emailed.values())
    assert len(set(emailed.values())) == 8
    house = list(csv.DictReader(io.StringIO(mail.mail_house_csv(svc, a, eid))))
    assert [r["member"] for r in house] == ["10", "11", "9"]
    for r in house:
        code = core.codes.normalise(r["code"])
        # the code rides in the URL fragment, which a browser never sends to the server
        assert r["url"] == f"http://testserver/e/{eid}/vote#{code}"
    letters = mail.letters(svc, a, eid)
    # one page per postal voter (9, 10, 11)
    assert letters.startswith(b"%PDF")
    assert letters.count(b"/Type /Page") - letters.count(b"/Type /Pages") == 3
    # each letter's QR code, read by an independent decoder (zxing-cpp) from the page
    # rendered at 150 dpi (pdfium), is the member's address with their code in the fragment
    doc = pdfium.PdfDocument(letters)
    scanned = []
    for page in doc:
        (found,) = zxingcpp.read_barcodes(page.render(scale=150 / 72).to_pil())
        scanned.append(found.text)
        assert core.codes.display(found.text.split("#")[1]) in page.get_textpage().get_text_range()
    assert scanned == [r["url"] for r in house]
    # a restart runs the mail jobs again: nobody is sent a second, different code
    core.run_due_jobs(svc)
    assert emailed_codes(svc.outbox) == emailed


def test_a_whole_election(election, monkeypatch):
    svc, a, eid, (com, tre, mot) = election
    emailed = emailed_codes(svc.outbox)
    posted = {
        r["member"]: r["code"]
        for r in csv.DictReader(io.StringIO(mail.mail_house_csv(svc, a, eid)))
    }
    client = TestClient(create_app(svc, run_jobs=False))
    papers = [
        # (Committee ranking by candidate index, Treasurer mark, Motion)
        ((0, 1, 2), 0, "0"),
        ((0, 2), 0, "0"),
        ((1, 0), 1, "1"),
        ((1, 3, 0), 1, "0"),
        ((2, 1), 0, "0"),
        ((3,), 0, "1"),
        ((0,), 1, "0"),
    ]
    codes_in_order = [emailed[f"m{i}@example.org"] for i in range(1, 7)] + [posted["11"]]
    trackers = []
    for code, (order, t, m) in zip(codes_in_order, papers, strict=True):
        form = ranked(com, *order) | {f"c-{tre}-{t}": "x", f"c-{mot}": m}
        trackers.append(vote(client, eid, code, form))
    assert len(set(trackers)) == 7

    # the same code again: refused before the ballot
    page = client.get(f"/e/{eid}/vote")
    r = client.post(f"/e/{eid}/vote", data={"csrf": csrf_of(page.text), "code": codes_in_order[0]})
    assert r.status_code == 409 and "already been cast" in r.text

    # a lost code re-issued by post: the old one stops working, the new one votes
    old = emailed["m7@example.org"]
    assert core.reissue(svc, a, eid, "7", "post") == "post"
    page = client.get(f"/e/{eid}/vote")
    r = client.post(f"/e/{eid}/vote", data={"csrf": csrf_of(page.text), "code": old})
    assert r.status_code == 400 and "not valid" in r.text
    new = {
        r["member"]: r["code"]
        for r in csv.DictReader(io.StringIO(mail.mail_house_csv(svc, a, eid)))
    }["7"]
    assert new != old
    trackers.append(vote(client, eid, new, ranked(com, 3, 2) | {f"c-{mot}": "1"}))
    # a member who has voted cannot have a new code
    with pytest.raises(core.AlreadyVoted):
        core.reissue(svc, a, eid, "1")

    # reminders: only the email voters who have not voted (8); 9 and 10 are postal
    assert core.remind(svc, a, eid) == 1
    core.run_due_jobs(svc)
    reminders = sorted(svc.outbox.glob("*-reminder.eml"))
    assert len(reminders) == 1
    assert emailed["m8@example.org"] in reminders[0].read_text().replace("=\n", "")

    # live turnout, not results, while open
    turnout = client.get(f"/e/{eid}/turnout.json").json()
    assert turnout["voted"] == 8 and turnout["slots"] == 11
    assert client.get(f"/e/{eid}/result").status_code == 404

    # the clock closes it
    later = now() + timedelta(days=4)
    monkeypatch.setattr(core, "now", lambda: later)
    core.run_due_jobs(svc)
    assert core.election_info(svc, a, eid)["state"] == "counted"
    page = client.get(f"/e/{eid}/vote")
    assert "Voting is not open" in page.text

    # the published count is the library's: recount the downloaded ballots with the CLI
    results = {r["title"]: r for r in core.result(svc, eid)}
    record = json.loads(results["Committee"]["record_json"])
    # first preferences: Ada 3 (papers 1, 2, 7), Ben 2, Cal 1, Dee 2 (paper 6 and the re-issued one)
    first = record["stages"][0]["totals"]
    assert {k: v.split(".")[0] for k, v in first.items()} == {
        "Ada": "3", "Ben": "2", "Cal": "1", "Dee": "2",
    }  # fmt: skip
    assert record["valid"] == "8"
    folder = svc.outbox.parent / "download"
    folder.mkdir()
    r = client.get(f"/e/{eid}/result/{com}.blt")
    (folder / f"{com}.blt").write_bytes(r.content)
    r = client.get(f"/e/{eid}/result/{com}-candidates.csv")
    (folder / f"{com}-candidates.csv").write_bytes(r.content)
    recount = results["Committee"]["recount"].split()
    args = [a if a.endswith((".blt", ".csv")) is False else str(folder / a) for a in recount[1:]]
    out = folder / "recount.json"
    with pytest.raises(SystemExit) as done:
        cli_main([*args, "--format", "json", "-o", str(out)])
    assert done.value.code == 0
    mine = json.loads(out.read_text())
    mine = mine[0] if isinstance(mine, list) else mine
    assert mine["elected"] == record["elected"]
    assert [s["totals"] for s in mine["stages"]] == [s["totals"] for s in record["stages"]]
    # the treasurer (X-vote): Eli 4 (papers 1, 2, 5, 6), Fox 3; the re-issued paper left it blank
    tre_record = json.loads(results["Treasurer"]["record_json"])
    assert tre_record["elected"] == ["Eli"]
    assert tre_record["invalid"] == {"blank": "1"}
    mot_record = json.loads(results["Motion 1"]["record_json"])
    # yes (index 0): papers 1, 2, 4, 5, 7 = 5; no: 3, 6, re-issued = 3
    assert mot_record["elected"] == ["Yes"]

    # the scrutineer's report states the numbers
    link = core.invite(svc, a, "scrutineer")
    scrutineer = core.accept_invitation(svc, link.rsplit("/", 1)[1], "scr@example.org", PASSWORD)
    rep = core.scrutineer_report(svc, scrutineer, eid)
    assert rep["voting_papers_distributed_by_channel"] == {"email": 7, "post": 4}
    assert rep["voting_papers_returned_by_channel"] == {"email": 6, "post": 2}
    assert rep["papers_in_ballot_box"] == 8 and rep["slots_marked_voted"] == 8
    assert rep["reissued_codes"] == 1 and rep["reissued_codes_by_channel"] == {"post": 1}
    assert rep["roll_certificate"]["eligible"] == 11
    contests = {c["title"]: c for c in rep["contests"]}
    assert contests["Treasurer"]["valid"] == "7"
    assert contests["Treasurer"]["invalid_by_reason"] == {"blank": "1"}
    assert contests["Committee"]["elected"] == record["elected"]
    log = core.audit_log(svc, a["organisation_id"])
    assert core.verify_audit(log) and rep["audit_log_head_sha256"] == log[-1]["hash"]
    with pytest.raises(core.Forbidden):
        core.sign_off(svc, a, eid, "ok", rep["report_sha256"])
    with pytest.raises(core.ServiceError, match="changed since you read it"):
        core.sign_off(svc, scrutineer, eid, "ok", "0" * 64)
    signed = core.sign_off(svc, scrutineer, eid, "I am satisfied.", rep["report_sha256"])
    assert signed["report_sha256"] == rep["report_sha256"]
    assert signed["sign_offs"][0]["scrutineer"] == "scr@example.org"
    assert signed["sign_offs"][0]["statement"] == "I am satisfied."
    assert core.verify_audit(core.audit_log(svc, a["organisation_id"]))
    from tallyroom.service.report import pdf

    assert pdf(signed).startswith(b"%PDF")


def test_the_review_page_says_what_the_paper_counts_for(election):
    svc, a, eid, (com, tre, mot) = election
    client = TestClient(create_app(svc, run_jobs=False))
    code = emailed_codes(svc.outbox)["m1@example.org"]
    page = client.get(f"/e/{eid}/vote")
    r = client.post(f"/e/{eid}/vote", data={"csrf": csrf_of(page.text), "code": code})
    token = csrf_of(r.text)
    # two candidates given the number 2: the paper counts for its first preference only
    form = {f"c-{com}-0": "1", f"c-{com}-1": "2", f"c-{com}-2": "2"}
    r = client.post(f"/e/{eid}/review", data={"csrf": token, **form})
    assert "You gave 2 candidates the number 2." in r.text
    assert "Your vote counts for, in this order: 1. Ada" in r.text
    assert "Only 1 of your 3 preferences will count." in r.text
    # a number out of range is sent back, never stored
    r = client.post(f"/e/{eid}/review", data={"csrf": token, f"c-{com}-0": "9"})
    assert r.status_code == 400 and "write a number from 1 to 4" in r.text
    # a blank X-vote is called blank
    r = client.post(f"/e/{eid}/review", data={"csrf": token, f"c-{com}-0": "1"})
    assert "You have marked nothing" in r.text
    # a form without the session's CSRF token is refused
    r = client.post(f"/e/{eid}/cast", data={"csrf": "forged", f"c-{com}-0": "1"})
    assert r.status_code == 403


def test_an_extension_is_logged_and_moves_the_clock(election, monkeypatch):
    svc, a, eid, _ = election
    closes = core.election_info(svc, a, eid)["closes_at"]
    later = (now() + timedelta(days=5)).isoformat()
    core.extend(svc, a, eid, later, "postal strike")
    monkeypatch.setattr(core, "now", lambda: now() + timedelta(days=4))
    core.run_due_jobs(svc)  # the old closing time has passed: still open
    assert core.election_info(svc, a, eid)["state"] == "open"
    rep = core.scrutineer_report(svc, a, eid)
    (incident,) = rep["incidents_and_extensions"]
    assert incident["kind"] == "extension" and "postal strike" in incident["text"]
    assert closes in incident["text"]


def test_a_mail_is_in_the_outbox_whole_or_not_at_all(tmp_path, monkeypatch):
    """A mail is written beside the outbox's files and renamed once on disk: a write that
    fails (or a process killed while writing) leaves no half-written .eml to be sent."""
    import os
    from email.message import EmailMessage

    from tallyroom.service.mail import to_outbox

    msg = EmailMessage()
    msg["To"] = "member@example.org"
    msg.set_content("Your voting code:\n\n    ABCD-EFGH\n")
    to_outbox(tmp_path, "s1-1-code.eml", msg)
    assert (tmp_path / "s1-1-code.eml").read_bytes() == bytes(msg)
    assert oct((tmp_path / "s1-1-code.eml").stat().st_mode & 0o777) == "0o600"

    def full_disk(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(OSError, match="No space left"):
        to_outbox(tmp_path, "s2-1-code.eml", msg)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s1-1-code.eml"]
