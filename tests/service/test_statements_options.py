"""Candidates' statements and the counting rule's options on the new-election form, and
the statements as voters see them (issue 16: "a statement of up to a set length shown to
every voter on equal terms").

Each expectation is written from the form's own input here: what was typed is what is
stored and shown, a statement is never cut, and an option is the rule's own (the library's
``Rule.parse_options``, as ``tallyroom count --option`` reads it)."""

from __future__ import annotations

import re

import pytest

from tallyroom.service import core

from .conftest import admin_of, csrf_of, emailed_codes, roll_text, spec
from .test_admin_form import GOOD, errors_of, post, signed_in

STATEMENTS = """## Ada
I have served on the committee for two years.

I will publish every decision.
## cal
Cal's one paragraph.
"""


def _created(client, form):
    r = post(client, form)
    assert r.status_code == 200 and "election created" in r.text, r.text
    return str(r.url).rsplit("/", 1)[1].split("?")[0]


def test_the_form_stores_statements_and_options(svc):
    a = admin_of(svc)
    client = signed_in(svc, a)
    eid = _created(
        client,
        GOOD
        | {
            "c0-statements": STATEMENTS,
            "c0-options": "quota=hare\nplaces=3\nexclude_first=Ben\novervote=skip\nskipped_ranks=1",
        },
    )
    (c,) = core.election_info(svc, a, eid)["contests"]
    assert {x["name"]: x["statement"] for x in c["candidates"]} == {
        "Ada": "I have served on the committee for two years.\n\nI will publish every decision.",
        "Ben": "",
        "Cal": "Cal's one paragraph.",  # "## cal": the name as entered, letter case aside
        "Dee": "",
    }
    assert c["options"] == {
        "quota": "hare",
        "places": 3,
        "exclude_first": ["Ben"],
        "ballot_rules": {"overvote": "skip", "skipped_ranks": 1},
    }
    # the recount command gives the same options as tallyroom count reads them
    assert "--option quota=hare --option places=3 --option exclude_first=Ben" in (
        core.recount_command(c)
    )
    assert "--overvote skip --skipped-ranks 1" in core.recount_command(c)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("c0-statements", "## Eve\nHello.",
         "Contest 1, statements: line 1: 'Eve' is not a candidate of this contest; expected "
         "one of Ada, Ben, Cal, Dee."),
        ("c0-statements", "Hello.\n## Ada\nHi.",
         "Contest 1, statements: line 1: expected '## ' and a candidate's name before the "
         "statement."),
        ("c0-statements", "## Ada\nOne.\n## Ada\nTwo.",
         "Contest 1, statements: line 3: Ada's statement already starts on line 1."),
        ("c0-statements", "## Ada\n" + "x" * 501,
         "Contest 1, statements: line 1: Ada's statement has 501 characters; at most 500, "
         "the same for every candidate."),
        ("c0-options", "quota=imperiali",
         "Contest 1, counting options: scottish-stv: option quota cannot be 'imperiali'; "
         "expected one of: droop, hare."),
        ("c0-options", "surplus",
         "Contest 1, counting options: line 1: expected name=value, found 'surplus'."),
        ("c0-options", "nosuch=1",
         "Contest 1, counting options: scottish-stv: unknown option nosuch; options: "),
        ("c0-options", "constraints=gender=woman:min=1",
         "Contest 1, counting options: line 1: write constraints in the Constraints field, "
         "one a line."),
        ("c0-options", "overvote=count",
         "Contest 1, counting options: line 1: overvote 'count': expected one of exhaust, "
         "skip, exhaust-if-multiple-continuing."),
        ("statement_length", "lots",
         "Longest statement: expected a whole number of characters, 1 or more."),
    ],
)  # fmt: skip
def test_a_bad_statement_or_option_is_named_at_its_field(svc, field, value, message):
    client = signed_in(svc)
    r = post(client, GOOD | {field: value})
    assert r.status_code == 400
    assert errors_of(r.text)[field].startswith(message)


def test_the_length_is_the_election_s_and_never_cuts(svc):
    a = admin_of(svc)
    client = signed_in(svc, a)
    eid = _created(
        client, GOOD | {"statement_length": "20", "c0-statements": "## Ada\n" + "y" * 20}
    )
    (c,) = core.election_info(svc, a, eid)["contests"]
    assert c["candidates"][0]["statement"] == "y" * 20
    r = post(client, GOOD | {"statement_length": "20", "c0-statements": "## Ada\n" + "y" * 21})
    assert "Ada's statement has 21 characters; at most 20" in errors_of(r.text)["c0-statements"]
    # the API refuses a long statement too, where it used to cut it
    s = spec([{"title": "C", "rule": "fptp", "ballot_type": "x", "max_marks": 1,
               "candidates": [{"name": "Ann", "statement": "z" * 501}, "Bob"]}])  # fmt: skip
    with pytest.raises(core.ServiceError, match="the statement has 501 characters; at most 500"):
        core.create_election(svc, a, s)


def test_the_rule_s_options_are_listed_once_a_rule_is_chosen(svc):
    client = signed_in(svc)
    token = csrf_of(client.get("/admin/new").text)
    r = client.post("/admin/new", data={"csrf": token, "n": "1", "add": "1", **GOOD})
    assert "<summary>The options of Scottish STV (scottish-stv)</summary>" in r.text
    row = re.search(r"<tr><th scope=\"row\"><code>places</code></th>(.*?)</tr>", r.text)
    assert row and row.group(1).startswith("<td>5</td><td>a whole number from 0 to 30</td>")
    row = re.search(r"<tr><th scope=\"row\"><code>tv_rounding</code></th>(.*?)</tr>", r.text)
    assert row and row.group(1).startswith("<td>down</td><td>down, up, half-up, half-even</td>")
    row = re.search(r"<tr><th scope=\"row\"><code>tv_cap</code></th>(.*?)</tr>", r.text)
    assert row and row.group(1).startswith("<td>false</td><td>true, false</td>")
    assert "<code>constraints</code></th>" not in r.text  # it has its own field


def test_voters_see_every_statement_the_same_way(svc):
    from fastapi.testclient import TestClient

    from tallyroom.service.web import create_app

    a = admin_of(svc)
    candidates = [
        {"name": "Ann", "statement": "First paragraph.\n\nSecond <b>paragraph</b>."},
        {"name": "Bob"},
        {"name": "Cy", "statement": "Cy's."},
    ]
    s = spec([{"title": "Chair", "rule": "irv", "candidates": candidates,
               "options": {"ballot_rules": {"overvote": "skip"}}},
              {"title": "Motion", "rule": "fptp", "ballot_type": "yesno"}])  # fmt: skip
    eid = core.create_election(svc, a, s)
    core.import_roll(svc, a, eid, roll_text([{"number": "1", "name": "One", "email": "o@x.org"}]))
    core.open_election(svc, a, eid)
    core.run_due_jobs(svc)
    client = TestClient(create_app(svc, run_jobs=False))
    notice = client.get(f"/e/{eid}").text
    assert "counted under irv, with a paper&#39;s overvote: skip" in notice
    assert "<dd><p>First paragraph.</p><p>Second &lt;b&gt;paragraph&lt;/b&gt;.</p></dd>" in notice
    page = client.get(f"/e/{eid}/vote")
    code = emailed_codes(svc.outbox)["o@x.org"]
    ballot = client.post(f"/e/{eid}/vote", data={"csrf": csrf_of(page.text), "code": code}).text
    got = re.findall(r"<summary>(.*?)</summary>\s*(.*?)\s*</details>", ballot, re.S)
    assert got == [
        ("Ann's statement", "<p>First paragraph.</p><p>Second &lt;b&gt;paragraph&lt;/b&gt;.</p>"),
        ("Bob's statement", "<p>Bob gave no statement.</p>"),
        ("Cy's statement", "<p>Cy&#39;s.</p>"),
    ]  # fmt: skip
    # the disclosure follows its candidate's field, inside the same list item
    assert re.search(r'<label for="c-[0-9a-f]+-0">Ann</label>\s*<details', ballot)
    assert ballot.count("<details") == 3  # none for the motion's Yes / No
