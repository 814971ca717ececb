"""The JSON API fuzzed from its own OpenAPI schema (schemathesis), and the forms and JSON
bodies with hypothesis (issue 18): whatever is sent, signed in or not, the answer is never
a server error, and nothing is cast that was not cast through the whole journey.

The runs are short (a few dozen examples per route) so that they belong in the normal test
run; the ``slow`` ones run many more. They use the SQLite database of the ``opened``
fixture (and PostgreSQL when the throwaway cluster is up)."""

from __future__ import annotations

import string
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from sqlalchemy import func, select

from tallyroom.service import schema as tables
from tallyroom.service.web import create_app

from .conftest import csrf_of, sign_in

QUICK = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
LONG = settings(QUICK, max_examples=500)


@pytest.fixture
def signed_in(opened: dict[str, Any]) -> dict[str, Any]:
    """The app, and the first organisation's returning officer's cookie and CSRF token."""
    app = create_app(opened["svc"], run_jobs=False)
    with TestClient(app) as c:
        token = sign_in(c, "ro@first.example", opened["passwords"]["a"])
        cookie = next(k.value for k in c.cookies.jar if k.name == "tallyroom")
    return {**opened, "app": app, "cookie": cookie, "csrf": token}


def _ballots(opened: dict[str, Any]) -> int:
    with opened["svc"].engine.begin() as conn:
        return int(conn.execute(select(func.count()).select_from(tables.ballot)).scalar_one())


def _operations(signed_in: dict[str, Any]) -> list[Any]:
    # schemathesis.pytest.from_fixture does not run under pytest 9 (a private attribute it
    # reads is gone): the operations are walked here, each with its own hypothesis run
    api = schemathesis.openapi.from_asgi("/api/openapi.json", signed_in["app"])
    return [r.ok() for r in api.get_all_operations()]


def _fuzz_api(signed_in: dict[str, Any], runs: settings) -> None:
    """Every operation of the schema, with generated path, query and body values, both
    signed in (with the session's CSRF token) and not."""
    headers = {"X-CSRF-Token": signed_in["csrf"], "Cookie": f"tallyroom={signed_in['cookie']}"}
    with TestClient(signed_in["app"]) as c:  # the signed-in headers do sign in
        assert c.get("/api/session", headers=headers).status_code == 200
        assert c.get("/api/session").status_code == 403
    operations = _operations(signed_in)
    assert len(operations) >= 12, [op.label for op in operations]
    before = _ballots(signed_in)
    for op in operations:

        @runs
        @given(case=op.as_strategy())
        def run(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=[not_a_server_error])
            case.call_and_validate(checks=[not_a_server_error])

        run()
    assert _ballots(signed_in) == before  # the API casts nothing


def test_no_api_route_answers_a_server_error(signed_in: dict[str, Any]) -> None:
    _fuzz_api(signed_in, QUICK)


@pytest.mark.slow
def test_no_api_route_answers_a_server_error_long(signed_in: dict[str, Any]) -> None:
    _fuzz_api(signed_in, LONG)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
# the keys the routes read, so that generated bodies reach past the first refusal
known_keys = st.sampled_from(
    [
        "title",
        "opens_at",
        "closes_at",
        "contests",
        "eligibility",
        "csv",
        "mapping",
        "name",
        "role",
        "member",
        "channel",
        "statement",
        "report_sha256",
        "trustees",
        "reason",
        "rule",
        "seats",
        "candidates",
        "ballot_type",
    ]
)
bodies = st.dictionaries(known_keys | st.text(max_size=8), json_values, max_size=6) | json_values


def _post_json(signed_in: dict[str, Any], path: str, body: Any) -> Any:
    with TestClient(signed_in["app"], raise_server_exceptions=False) as c:
        c.cookies.set("tallyroom", signed_in["cookie"])
        return c.post(path, json=body, headers={"X-CSRF-Token": signed_in["csrf"]})


ROUTES = [
    "/api/elections",
    "/api/invitations",
    "/api/elections/{other}/roll",
    "/api/elections/{eid}/reissue",
    "/api/elections/{eid}/extend",
    "/api/elections/{eid}/sign-off",
    "/api/elections/{other}/seal",
]


def _check_json_bodies(signed_in: dict[str, Any], route: str, body: Any) -> None:
    path = route.format(eid=signed_in["eid"], other=signed_in["other"])
    before = _ballots(signed_in)
    r = _post_json(signed_in, path, body)
    assert r.status_code < 500, (path, body, r.status_code, r.text[:300])
    assert _ballots(signed_in) == before


@pytest.mark.parametrize("route", ROUTES)
@QUICK
@given(body=bodies)
def test_json_bodies_never_crash_the_api(signed_in: dict[str, Any], route: str, body: Any) -> None:
    _check_json_bodies(signed_in, route, body)


@pytest.mark.slow
@pytest.mark.parametrize("route", ROUTES)
@LONG
@given(body=bodies)
def test_json_bodies_never_crash_the_api_long(
    signed_in: dict[str, Any], route: str, body: Any
) -> None:
    _check_json_bodies(signed_in, route, body)


# -- the voter's forms ------------------------------------------------------------------------
field_names = (
    st.sampled_from(["code", "csrf", "change"])
    | st.from_regex(r"\Ac-[0-9a-f]{0,32}-[0-9]{0,3}\Z")
    | st.text(max_size=10)
)
field_values = st.text(max_size=40) | st.sampled_from(
    ["1", "2", "0", "-1", "", "１", "1e9", "9" * 40]
)
forms = st.dictionaries(field_names, field_values, max_size=8)


def _check_voter_forms(opened: dict[str, Any], form: dict[str, str], code: str) -> None:
    eid = opened["eid"]
    before = _ballots(opened)
    with TestClient(create_app(opened["svc"], run_jobs=False), raise_server_exceptions=False) as c:
        token = csrf_of(c.get(f"/e/{eid}/vote").text)
        r = c.post(f"/e/{eid}/vote", data={**form, "csrf": token, "code": code})
        assert r.status_code < 500, r.text[:300]
        page = c.get(f"/e/{eid}/ballot")
        assert page.status_code < 500
        if page.status_code == 200:  # the code opened the ballot: send the generated paper
            token = csrf_of(page.text)
            for route in ("review", "cast"):
                r = c.post(f"/e/{eid}/{route}", data={**form, "csrf": token})
                assert r.status_code < 500, (route, form, r.text[:300])
                if route == "review" and r.status_code == 200:
                    token = csrf_of(r.text)
    # at most the one voter's paper, never more
    assert _ballots(opened) - before in (0, 1, 2)  # a paper is a ballot per contest received


@QUICK
@given(
    form=forms,
    code=st.text(alphabet=string.ascii_uppercase + string.digits + "-*~$= ", max_size=30),
)
def test_generated_voter_forms_never_crash(
    opened: dict[str, Any], form: dict[str, str], code: str
) -> None:
    _check_voter_forms(opened, form, code)


@QUICK
@given(form=forms)
def test_generated_papers_with_a_right_code_never_crash(
    opened: dict[str, Any], form: dict[str, str]
) -> None:
    """With a right code the generated fields reach the ballot's validation (the first
    generated paper that is valid is cast; the slot then refuses the others, 409)."""
    _check_voter_forms(opened, form, opened["codes"]["ada@example.org"])
    with opened["svc"].engine.begin() as conn:
        voted = conn.execute(select(func.count()).where(tables.slot.c.voted.is_(True))).scalar_one()
    assert voted <= 1


@QUICK
@given(
    form=st.dictionaries(
        st.sampled_from(["email", "password", "csrf"]) | st.text(max_size=8),
        st.text(max_size=60),
        max_size=4,
    )
)
def test_generated_sign_in_forms_never_crash(opened: dict[str, Any], form: dict[str, str]) -> None:
    with TestClient(create_app(opened["svc"], run_jobs=False), raise_server_exceptions=False) as c:
        token = csrf_of(c.get("/login").text)
        r = c.post("/login", data={**form, "csrf": token}, follow_redirects=False)
        assert r.status_code in (303, 401, 429), r.text[:300]
        if r.status_code == 303:  # only the right password signs in
            assert form.get("password") == opened["passwords"]["a"]
