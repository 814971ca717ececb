"""The re-issue timetable by channel (issue 16): a lost code may be re-issued by post only
until the last day set for post (a letter needs days to arrive), by email until the time
set for email, and by either until the close where the timetable names no day. After it the
request is refused with the channel's last moment, and the refusal is logged; the
scrutineer's report states the timetable and the refusals by channel.

The times here are fixed and the clock is set by hand, so each expectation is worked out
from the dates written below (Europe/London is on GMT, UTC+0, in December).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tallyroom.service import core, report
from tallyroom.service.db import parse_time

from .conftest import admin_of, roll_text

OPENS = "2026-12-01T09:00:00+00:00"
CLOSES = "2026-12-10T17:00:00+00:00"
ROWS = [
    {"number": "1", "name": "Member 1", "email": "m1@example.org"},
    {"number": "2", "name": "Member 2", "email": "m2@example.org"},
    {"number": "3", "name": "Member 3", "address": "3 Lane; Town"},
]


def _spec(timetable):
    return {
        "title": "Timetabled ballot",
        "opens_at": OPENS,
        "closes_at": CLOSES,
        "time_zone": "Europe/London",
        "reissue_timetable": timetable,
        "contests": [
            {"title": "Motion", "rule": "fptp", "ballot_type": "yesno"},
        ],
    }


def _at(monkeypatch, text):
    monkeypatch.setattr(core, "now", lambda: datetime.fromisoformat(text).astimezone(UTC))


@pytest.fixture
def timetabled(svc, monkeypatch):
    a = admin_of(svc)
    _at(monkeypatch, "2026-11-30T12:00:00+00:00")
    # post: the last day is Friday 4 December (re-issue ends at midnight that night,
    # London time); email: until noon on the last day of voting
    eid = core.create_election(
        svc, a, _spec({"post": "2026-12-04", "email": "2026-12-10T12:00:00+00:00"})
    )
    core.import_roll(svc, a, eid, roll_text(ROWS))
    _at(monkeypatch, "2026-12-01T09:30:00+00:00")
    core.open_election(svc, a, eid)
    return svc, a, eid


def test_the_timetable_is_stored_as_instants(timetabled):
    svc, a, eid = timetabled
    info = core.election_info(svc, a, eid)
    assert info["reissue_timetable"] == {
        "post": {"last": "2026-12-04", "until": "2026-12-05T00:00:00+00:00"},
        "email": {"last": "2026-12-10T12:00:00+00:00", "until": "2026-12-10T12:00:00+00:00"},
    }
    assert info["reissue_until"] == {
        "email": "2026-12-10T12:00:00+00:00",
        "post": "2026-12-05T00:00:00+00:00",
    }


def test_post_until_its_last_day_then_refused_and_logged(timetabled, monkeypatch):
    svc, a, eid = timetabled
    # one minute before midnight at the end of 4 December: still by post
    _at(monkeypatch, "2026-12-04T23:59:00+00:00")
    assert core.reissue(svc, a, eid, "3", "post") == "post"
    # midnight: post is over; email is still open, and the refusal says so
    _at(monkeypatch, "2026-12-05T00:00:00+00:00")
    with pytest.raises(core.ServiceError) as err:
        core.reissue(svc, a, eid, "3")
    assert str(err.value) == (
        "re-issue by post closed at Saturday 5 December 2026, 00:00 (Europe/London) under "
        "the election's timetable; by email it is open until Thursday 10 December 2026, "
        "12:00 (Europe/London)"
    )
    # an email member is still re-issued by email, but not by post
    assert core.reissue(svc, a, eid, "1") == "email"
    with pytest.raises(core.ServiceError, match="re-issue by post closed"):
        core.reissue(svc, a, eid, "2", "post")
    # noon on the last day: email is over too, though voting goes on until 17:00
    _at(monkeypatch, "2026-12-10T12:00:00+00:00")
    with pytest.raises(core.ServiceError, match=r"re-issue by email closed at Thursday 10"):
        core.reissue(svc, a, eid, "2")

    log = [x for x in core.audit_log(svc, a["organisation_id"]) if "re-issue" in x["action"]]
    assert [(x["action"], x["detail"]["member"], x["detail"]["channel"]) for x in log] == [
        ("code re-issued", "3", "post"),
        ("re-issue refused", "3", "post"),
        ("code re-issued", "1", "email"),
        ("re-issue refused", "2", "post"),
        ("re-issue refused", "2", "email"),
    ]
    assert core.verify_audit(core.audit_log(svc, a["organisation_id"]))
    rep = core.scrutineer_report(svc, a, eid)
    assert rep["reissue_timetable"] == {
        "email": {"last": "2026-12-10T12:00:00+00:00", "until": "2026-12-10T12:00:00+00:00"},
        "post": {"last": "2026-12-04", "until": "2026-12-05T00:00:00+00:00"},
    }
    assert rep["reissued_codes_by_channel"] == {"post": 1, "email": 1}
    assert rep["reissues_refused_after_timetable_by_channel"] == {"post": 2, "email": 1}
    assert report.pdf(rep).startswith(b"%PDF")


def test_a_channel_the_timetable_leaves_out_runs_to_the_close(svc, monkeypatch):
    a = admin_of(svc)
    _at(monkeypatch, "2026-11-30T12:00:00+00:00")
    eid = core.create_election(svc, a, _spec({"post": "2026-12-04"}))
    core.import_roll(svc, a, eid, roll_text(ROWS))
    _at(monkeypatch, "2026-12-01T09:30:00+00:00")
    core.open_election(svc, a, eid)
    _at(monkeypatch, "2026-12-10T16:59:00+00:00")
    assert core.reissue(svc, a, eid, "1") == "email"
    rep = core.scrutineer_report(svc, a, eid)
    assert rep["reissue_timetable"]["email"] == {"last": "the close", "until": CLOSES}


@pytest.mark.parametrize(
    ("timetable", "message"),
    [
        ({"fax": "2026-12-04"}, "reissue_timetable: no channel 'fax'; expected email or post"),
        ({"post": "4 December"}, "reissue_timetable, post: '4 December' is not a time"),
        ({"post": "2026-12-10"}, "reissue_timetable, post: 2026-12-10 ends after the close"),
        (
            {"email": "2026-11-30T12:00:00+00:00"},
            "reissue_timetable, email: 2026-11-30T12:00:00+00:00 is before the election opens",
        ),
        ("2026-12-04", "reissue_timetable: expected an object"),
    ],
)
def test_a_timetable_that_cannot_be_kept_is_refused(svc, monkeypatch, timetable, message):
    a = admin_of(svc)
    _at(monkeypatch, "2026-11-30T12:00:00+00:00")
    with pytest.raises(core.ServiceError) as err:
        core.create_election(svc, a, _spec(timetable))
    assert str(err.value).startswith(message)


def test_the_last_day_is_the_election_s_local_day(svc, monkeypatch):
    """In summer London is on BST (UTC+1): the end of 4 June is 23:00 UTC."""
    a = admin_of(svc)
    _at(monkeypatch, "2026-05-30T12:00:00+00:00")
    s = _spec({"post": "2026-06-04"}) | {
        "opens_at": "2026-06-01T09:00:00+00:00",
        "closes_at": "2026-06-10T17:00:00+00:00",
    }
    eid = core.create_election(svc, a, s)
    until = core.election_info(svc, a, eid)["reissue_timetable"]["post"]["until"]
    assert parse_time(until) == datetime(2026, 6, 4, 23, 0, tzinfo=UTC)


def test_the_form_sets_the_timetable_in_the_election_s_time(svc):
    from .test_admin_form import GOOD, errors_of, post, signed_in

    a = admin_of(svc)
    client = signed_in(svc, a)
    # 1 July 2027 is in BST (UTC+1): the end of 5 July is 23:00 UTC, 12:00 on 8 July 11:00
    r = post(client, GOOD | {"reissue_post": "2027-07-05", "reissue_email": "2027-07-08T12:00"})
    assert r.status_code == 200 and "election created" in r.text, r.text
    eid = str(r.url).rsplit("/", 1)[1].split("?")[0]
    tt = core.election_info(svc, a, eid)["reissue_timetable"]
    assert tt == {
        "post": {"last": "2027-07-05", "until": "2027-07-05T23:00:00+00:00"},
        "email": {"last": "2027-07-08T12:00:00+01:00", "until": "2027-07-08T11:00:00+00:00"},
    }
    r = post(client, GOOD | {"reissue_post": "5 July", "reissue_email": "noon"})
    assert r.status_code == 400
    errors = errors_of(r.text)
    assert errors["reissue_post"] == "Re-issue by post: '5 July' is not a day; expected YYYY-MM-DD."
    assert errors["reissue_email"].startswith("Re-issue by email: 'noon' is not a date and time")
    assert 'aria-describedby="reissue_post-hint reissue_post-error"' in r.text


def test_the_admin_page_states_the_timetable(timetabled):
    from .test_admin_form import signed_in

    svc, a, eid = timetabled
    page = signed_in(svc, a).get(f"/admin/e/{eid}")
    assert page.status_code == 200, page.text
    assert (
        "Re-issue by post until Saturday 5 December 2026, 00:00 (Europe/London); "
        "by email until Thursday 10 December 2026, 12:00 (Europe/London)." in page.text
    )
