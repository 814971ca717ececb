"""The parameter schema of every rule: it parses ``--option``, checks options given to
``count``, and is what ``tallyroom methods RULE`` shows (issue 13: ``--option places=-1``
ended in a traceback, ``batch=nope`` was taken as true, ``arithmetic=banana`` was recorded;
issue 14: MeekOptions checked nothing, a dead option was recorded)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tallyroom.ballots.model import Candidate, Election, Profile
from tallyroom.cli import main
from tallyroom.errors import RuleError
from tallyroom.rules import count, get, parameters, parse_options, rules
from tallyroom.rules.stv.options import STVOptions

WARD = Path(__file__).parent / "data" / "scotland" / "ballots" / "aberdeen_2017_ward1.blt"
ALL = rules()
SMALL = Profile.build(
    Election(tuple(Candidate(n) for n in "ABCD"), 2),
    [((0, 1, 2), 7), ((1, 0), 5), ((2, 3), 4), ((3, 2, 1), 3)],
)


def run(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_:
        main([str(a) for a in args])
    out = capsys.readouterr()
    return int(exit_.value.code or 0), out.out, out.err


@pytest.mark.parametrize("rule", ALL, ids=lambda r: r.id)
def test_every_parameter_is_described_and_its_default_allowed(rule) -> None:  # noqa: ANN001
    for p in rule.parameters:
        assert p.meaning, f"{rule.id}: {p.name} says nothing about what it does"
        if p.kind == "choice":
            assert p.choices
        p.check(rule.id, p.default)  # the default is an allowed value
        json.dumps(p.describe())  # a service can send it as it is


@pytest.mark.parametrize("rule", [r for r in ALL if r.family == "stv"], ids=lambda r: r.id)
def test_stv_schema_defaults_are_the_preset(rule) -> None:  # noqa: ANN001
    own = {p.name: p.default for p in rule.parameters if p.name in rule.options}
    described = {k: v for k, v in rule.options.items() if k in own}
    assert {k: getattr(v, "value", v) for k, v in own.items()} == {
        k: tuple(v) if isinstance(v, list) else v for k, v in described.items()
    }
    assert "after_election_in_exclusion" not in rule.options  # read by no engine


def test_presets_cite_the_clause_of_each_option() -> None:
    scottish = {p.name: p for p in parameters("scottish-stv")}
    assert scottish["places"].clause.startswith("r.48(3)")
    assert scottish["places"].minimum == 0 and scottish["places"].maximum == 30
    meek = {p.name: p for p in parameters("meek-stv")}
    assert meek["places"].clause.startswith("cl.5") and meek["places"].default == 9


def test_options_parsed_by_their_kind() -> None:
    assert parse_options("scottish-stv", ["places=3", "tv-rounding=half-up"]) == {
        "places": 3,
        "tv_rounding": "half-up",
    }
    assert parse_options("irv", ["batch=true", "rctab=no"]) == {"batch": True, "rctab": False}
    assert parse_options("copeland", ["tie_score=1/3"])["tie_score"] * 3 == 1
    assert parse_options("hare-lr", ["threshold=5%", "coalition_thresholds=2:7%,4:10%"]) == {
        "threshold": "5%",
        "coalition_thresholds": {"2": "7%", "4": "10%"},
    }


@pytest.mark.parametrize(
    "rule_id, item, says",
    [
        ("scottish-stv", "places=-1", "at least 0"),
        ("scottish-stv", "places=31", "at most 30"),
        ("scottish-stv", "places=five", "whole number"),
        ("irv", "batch=nope", "true or false"),
        ("meek-stv", "arithmetic=banana", "fixed, exact"),
        ("scottish-stv", "arithmetic=banana", "fixed, exact"),
        ("two-round", "advance=1", "at least 2"),
        ("copeland", "tie_score=1/0", "not 0"),
        ("scottish-stv", "after_election_in_exclusion=continue", "unknown option"),
        ("scottish-stv", "no-equals-sign", "KEY=VALUE"),
    ],
)
def test_bad_options_are_refused(rule_id: str, item: str, says: str) -> None:
    with pytest.raises(RuleError, match=says):
        parse_options(rule_id, [item])


@pytest.mark.parametrize("rule", ALL, ids=lambda r: r.id)
def test_no_option_text_ends_in_a_traceback(rule) -> None:  # noqa: ANN001
    junk = [
        "",
        "nope",
        "-1",
        "1/0",
        "99999999999999999999",
        "5%",
        "true",
        "a,b",
        "x:y",
        "=",
        "\u202e",
    ]
    for p in rule.parameters:
        for value in junk:
            try:
                parse_options(rule.id, [f"{p.name}={value}"])
            except RuleError:
                pass


def test_meek_options_are_checked() -> None:
    with pytest.raises(RuleError, match="variant cannot be 'foo'"):
        count(SMALL, "meek-stv", variant="foo")
    with pytest.raises(RuleError, match="places"):
        count(SMALL, "meek-stv", places="x")
    with pytest.raises(RuleError, match="max_iterations"):
        count(SMALL, "meek-stv", max_iterations=0)


def test_typed_options_given_to_count_are_checked() -> None:
    with pytest.raises(RuleError, match="true or false"):
        count(SMALL.with_election(SMALL.election.with_changes(seats=1)), "irv", batch="nope")
    with pytest.raises(RuleError, match="whole number"):
        count(SMALL, "block-vote", votes="2")
    with pytest.raises(RuleError, match="unknown option"):
        count(SMALL, "fptp", places=2)
    with pytest.raises(RuleError):
        STVOptions(places=True)  # a bool is not a number of places


def test_cli_option_errors_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    for rule_id, item in (("scottish-stv", "places=-1"), ("irv", "batch=nope")):
        code, out, err = run(capsys, "count", WARD, "-m", rule_id, "--seats", "1", "--option", item)
        assert code == 2 and not out and "Traceback" not in err
        assert err.startswith("tallyroom: error:") and err.count("\n") == 1
    code, out, _ = run(capsys, "count", WARD, "-m", "scottish-stv", "--option", "places=3")
    assert code == 0 and "Quota:" in out


def test_methods_rule_shows_the_schema(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "methods", "scottish-stv")
    assert code == 0
    assert "places = 5" in out and "r.48(3)" in out and "[droop | hare]" in out
    code, out, _ = run(capsys, "methods", "irv", "--format", "json")
    doc = json.loads(out)
    assert doc["id"] == "irv"
    assert {p["name"] for p in doc["parameters"]} == {p.name for p in get("irv").parameters}
    code, out, _ = run(capsys, "methods", "fptp")
    assert code == 0 and "none besides the tie rules" in out
