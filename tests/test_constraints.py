"""Group minima and maxima (rules/constraints.py), candidates' attributes from a side file,
and constraint-aware block vote and STV.

Sources: the NEC 2016 totals (LabourList, tests/data/nec); the substitution wording of
KOWA Party constitution art. 11(2) for the block vote; OpenTally's description of the
Grey--Fitzgerald guard/doom method for STV (docs/constraints.md).  The STV examples are
worked by hand in the comments; no published constrained STV count was found to test
against.
"""

from __future__ import annotations

import itertools
import sys
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tallyroom.ballots.candidates_file import (
    merge_attributes,
    read_candidates_file,
    with_candidates_file,
)
from tallyroom.ballots.model import Candidate, Election, Profile
from tallyroom.cli import main
from tallyroom.errors import BallotFileError, ElectionError, RuleError
from tallyroom.record import CountRecord
from tallyroom.rules import count
from tallyroom.rules.constraints import (
    Bound,
    ConstraintSet,
    coerce,
    parse_constraint,
    read_constraints_file,
)

sys.path.insert(0, str(Path(__file__).parent))
from test_rules_plurality import nec_2016  # noqa: E402

NEC_GENDER = Path(__file__).parent / "data" / "nec" / "2016_candidates.csv"
GREGORY = ["scottish-stv", "ers97-stv", "wigm-stv", "minneapolis-stv"]
CLGA = "slate=Centre-Left Grassroots Alliance"


def _election(attrs: dict[str, dict[str, str]], seats: int) -> Election:
    return Election(tuple(Candidate(n, a) for n, a in attrs.items()), seats)


def _bind(specs: list[str], election: Election):  # noqa: ANN202
    return ConstraintSet(tuple(parse_constraint(s) for s in specs)).bind(election)


# -- the written forms --------------------------------------------------------------------


def test_parse_forms() -> None:
    c = parse_constraint("gender=woman:min=3")
    assert c.group == (("gender", "woman"),) and c.minimum == Bound(3) and c.maximum is None
    c = parse_constraint(" region = north : min=1 : max=2 ")
    assert c.group == (("region", "north"),) and c.minimum == Bound(1) and c.maximum == Bound(2)
    c = parse_constraint("gender=woman,region=north:max=1")
    assert c.group == (("gender", "woman"), ("region", "north"))
    assert c.describe() == "gender=woman,region=north:max=1"
    c = parse_constraint("gender=woman:min=50%")
    assert c.minimum == Bound(share=Fraction(1, 2)) and c.describe() == "gender=woman:min=50%"
    # a share of the seats: minimum rounded up, maximum down ("at least half" of 5 is 3)
    assert c.minimum.resolve(5, up=True) == 3
    assert Bound(share=Fraction(1, 2)).resolve(5, up=False) == 2


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ("gender=woman", "no bound"),
        ("gender:min=3", "not ATTRIBUTE=VALUE"),
        ("gender=woman:least=3", "not min=N or max=N"),
        ("gender=woman:min=three", "not a number of seats"),
        ("gender=woman:min=-1", "not a number of seats"),
        ("gender=woman:min=150%", "not a number of seats"),
        ("gender=woman:min=1:min=2", "min given twice"),
    ],
)
def test_parse_errors(spec: str, says: str) -> None:
    with pytest.raises(RuleError, match=says):
        parse_constraint(spec)


def test_constraints_files(tmp_path: Path) -> None:
    f = tmp_path / "c.csv"
    f.write_text("gender,region,min,max\nwoman,,3,\n,north,1,2\nwoman,north,,1\n")
    got = [c.describe() for c in read_constraints_file(f)]
    assert got == [
        "gender=woman:min=3",
        "region=north:min=1:max=2",
        "gender=woman,region=north:max=1",
    ]
    t = tmp_path / "c.toml"
    t.write_text(
        '[[constraint]]\ngender = "woman"\nmin = 3\n\n'
        '[[constraint]]\nregion = "north"\nmin = 1\nmax = 2\n\n'
        '[[constraint]]\ngender = "woman"\nmin = "50%"\n'
    )
    got = [c.describe() for c in read_constraints_file(t)]
    assert got == ["gender=woman:min=3", "region=north:min=1:max=2", "gender=woman:min=50%"]
    bad = tmp_path / "bad.csv"
    bad.write_text("gender,min\nwoman,lots\n")
    with pytest.raises(RuleError, match=r"bad.csv:2: .*'lots' is not a number"):
        read_constraints_file(bad)
    nobounds = tmp_path / "nb.csv"
    nobounds.write_text("gender,region\nwoman,north\n")
    with pytest.raises(RuleError, match="expected one column per attribute and a min"):
        read_constraints_file(nobounds)


# -- the candidates file -----------------------------------------------------------------


def test_candidates_file_merges(tmp_path: Path) -> None:
    f = tmp_path / "cands.csv"
    f.write_text("# provenance note\nName,gender,region\nann,woman,north\nBob,man,\n")
    e = Election((Candidate("Ann", {"slate": "x"}), Candidate("Bob"), Candidate("Cy")), 2)
    merged = merge_attributes(e, read_candidates_file(f))
    assert dict(merged.candidates[0].attributes) == {
        "slate": "x",
        "gender": "woman",
        "region": "north",
    }
    assert dict(merged.candidates[1].attributes) == {"gender": "man"}  # empty cell: no value
    assert dict(merged.candidates[2].attributes) == {}  # not in the file: unchanged
    p = with_candidates_file(Profile.build(e, [((0, 1), 3)]), f)
    assert p.election.candidates[0].attributes["gender"] == "woman" and p.valid == 3


@pytest.mark.parametrize(
    ("text", "error", "says"),
    [
        (
            "name,gender\nZed,man\n",
            ElectionError,
            "no candidate named 'Zed'.*candidates are: Ann, Bob",
        ),
        (
            "who,gender\nAnn,woman\n",
            BallotFileError,
            r":1: found columns who, gender; expected a 'name' column",
        ),
        ("name,gender\nAnn,woman,extra\n", BallotFileError, r":2: found 3 cells; expected 2"),
        ("name,gender\nAnn,woman\nann,man\n", BallotFileError, r":3:1: found 'ann' again.*line 2"),
        ("name,gender,Gender\nAnn,w,w\n", BallotFileError, r":1:3: found column 'Gender' twice"),
    ],
)
def test_candidates_file_errors(tmp_path: Path, text: str, error: type, says: str) -> None:
    f = tmp_path / "c.csv"
    f.write_text(text)
    e = Election((Candidate("Ann"), Candidate("Bob")), 1)
    with pytest.raises(error, match=says):
        merge_attributes(e, read_candidates_file(f), str(f))


# -- refused before counting ---------------------------------------------------------------

FOUR = {
    "A": {"gender": "man", "region": "north"},
    "B": {"gender": "man", "region": "south"},
    "C": {"gender": "woman", "region": "south"},
    "D": {"gender": "man", "region": "south"},
}


@pytest.mark.parametrize(
    ("specs", "says"),
    [
        (
            ["sex=woman:min=1"],
            "no candidate has the attribute 'sex' \\(attributes given: gender, region\\)",
        ),
        (
            ["gender=women:min=1"],
            "no standing candidate is in group gender=women \\(gender values given: man, woman\\)",
        ),
        (["gender=man:min=2:max=1"], "the minimum \\(2\\) is above the maximum \\(1\\)"),
        (["gender=man:min=3"], "needs 3 seats but only 2 are to be filled"),
        (
            ["gender=woman:min=2"],
            "group gender=woman needs at least 2 seats but only 1 of its candidates stand",
        ),
        (
            ["gender=woman:min=1", "gender=man:min=2"],
            "the minima for gender \\(gender=woman 1, gender=man 2\\) add up to 3",
        ),
        (["gender=woman:max=0", "gender=man:max=1"], "the maxima for gender allow only 1 seats"),
        (
            ["gender=woman:min=1", "region=north:min=1", "region=south:max=0"],
            "the maxima for region allow only 1 seats",
        ),
        (
            ["gender=woman:min=1", "region=north:min=1", "gender=man,region=north:max=0"],
            "no set of 2 candidates meets all the constraints together",
        ),
    ],
)
def test_infeasible_refused(specs: list[str], says: str) -> None:
    with pytest.raises(ElectionError, match=says):
        _bind(specs, _election(FOUR, 2))


def test_no_attributes_at_all() -> None:
    e = Election((Candidate("A"), Candidate("B")), 1)
    with pytest.raises(ElectionError, match="no candidate has any attribute"):
        _bind(["gender=woman:min=1"], e)


def test_withdrawn_candidates_do_not_count() -> None:
    e = _election(FOUR, 2).with_changes(withdrawn=[2])
    with pytest.raises(ElectionError, match="no standing candidate is in group gender=woman"):
        _bind(["gender=woman:min=1"], e)


# -- block vote ---------------------------------------------------------------------------


def _approval(
    attrs: dict[str, dict[str, str]], seats: int, marks: list[tuple[str, int]]
) -> Profile:
    e = _election(attrs, seats)
    names = list(attrs)
    return Profile.build(
        e, [(tuple(sorted(names.index(c) for c in m)), w) for m, w in marks], kind="approval"
    )


def test_block_vote_hand_worked() -> None:
    # 3 seats; votes A 50, B 45, C 40, D 35, E 30, F 10.  Women: C, E, F.  Region north: A, E.
    attrs = {
        "A": {"gender": "man", "region": "north"},
        "B": {"gender": "man", "region": "south"},
        "C": {"gender": "woman", "region": "south"},
        "D": {"gender": "man", "region": "south"},
        "E": {"gender": "woman", "region": "north"},
        "F": {"gender": "woman", "region": "south"},
    }
    p = _approval(
        attrs, 3, [("ABC", 30), ("ABD", 15), ("ACE", 5), ("CDE", 5), ("DE", 15), ("F", 10)]
    )
    scores = count(p, "block-vote").stages[0].extra["scores"]
    assert scores == {"A": 50, "B": 45, "C": 40, "D": 35, "E": 25, "F": 10}
    assert count(p, "block-vote").elected == ("A", "B", "C")
    # at least 2 women: A, B elected would leave one seat for two women -> B passed over;
    # C elected; D passed over (one seat left, one woman still needed); E elected
    r = count(p, "block-vote", constraints=["gender=woman:min=2"])
    assert r.elected == ("A", "C", "E")
    ev = [(e.kind, e.candidate) for e in r.stages[0].events]
    assert ev == [
        ("elected", "A"),
        ("passed over", "B"),
        ("elected", "C"),
        ("passed over", "D"),
        ("elected", "E"),
    ]
    assert r.stages[0].events[1].reason == "the seats left are needed to meet gender=woman:min=2"
    assert r.options["constraints"] == ("gender=woman:min=2",)
    # at most one from the south: B and C passed over, D too; E (north) fills the seat
    r = count(p, "block-vote", constraints=["region=south:max=1", "region=north:max=2"])
    assert r.elected == ("A", "B", "E")
    # two attributes at once: at least one southern woman, at most one northerner
    r = count(
        p, "block-vote", constraints=["gender=woman,region=south:min=1", "region=north:max=1"]
    )
    assert r.elected == ("A", "B", "C")
    r = count(p, "block-vote", constraints=["gender=woman,region=south:min=1", "gender=man:max=1"])
    assert r.elected == ("A", "C", "E")


def _substitution(order: list[str], women: set[str], need: int, seats: int) -> set[str]:
    """KOWA Party constitution art. 11(2): count normally; if fewer than ``need`` women are
    elected, the highest-placed women not elected replace the lowest-placed men elected."""
    elected = order[:seats]
    short = need - sum(1 for n in elected if n in women)
    if short <= 0:
        return set(elected)
    men_out = [n for n in reversed(elected) if n not in women][:short]
    women_in = [n for n in order[seats:] if n in women][:short]
    return (set(elected) - set(men_out)) | set(women_in)


@settings(max_examples=80, deadline=None, derandomize=True)
@given(
    st.lists(st.integers(0, 1000), min_size=2, max_size=9, unique=True),
    st.lists(st.booleans(), min_size=9, max_size=9),
    st.data(),
)
def test_block_vote_equals_the_substitution_rule(
    votes: list[int], woman: list[bool], data: st.DataObject
) -> None:
    n = len(votes)
    seats = data.draw(st.integers(1, n - 1))
    names = [f"C{i}" for i in range(n)]
    women = {names[i] for i in range(n) if woman[i]}
    need = data.draw(st.integers(0, min(seats, len(women))))
    attrs = {nm: {"gender": "woman" if nm in women else "man"} for nm in names}
    p = _approval(attrs, seats, [((nm,), v) for nm, v in zip(names, votes) if v])
    if not women or need == 0:
        return
    r = count(p, "block-vote", constraints=[f"gender=woman:min={need}"])
    order = sorted(names, key=lambda x: -votes[names.index(x)])
    assert set(r.elected) == _substitution(order, women, need, seats)


# -- the 2016 NEC demonstration -----------------------------------------------------------


def _nec() -> tuple[Profile, CountRecord]:
    p, _, _ = nec_2016()
    p = with_candidates_file(p, NEC_GENDER)
    return p, count(p, "block-vote")


def _swap(base: CountRecord, r: CountRecord) -> tuple[list[str], list[str]]:
    return [n for n in r.elected if n not in base.elected], [
        n for n in base.elected if n not in r.elected
    ]


def test_nec_2016_gender_minimum_does_not_bind() -> None:
    # the rule book's "at least half women" (3 of 6): the six elected include four women
    # (Black, Shawcroft, Webbe, Wolfson), so the published result stands unchanged
    p, base = _nec()
    for spec in ("gender=woman:min=3", "gender=woman:min=50%"):
        r = count(p, "block-vote", constraints=[spec])
        assert r.elected == base.elected
        assert [e.kind for e in r.stages[0].events] == ["elected"] * 6


def test_nec_2016_with_binding_constraints() -> None:
    p, base = _nec()
    # five women of six: Pete Willsman (6th, 81,863) is passed over; Ellie Reeves (7th,
    # 72,514) takes the seat
    r = count(p, "block-vote", constraints=["gender=woman:min=5"])
    assert _swap(base, r) == (["Ellie Reeves"], ["Pete Willsman"])
    # at most four from one slate: Rhea Wolfson and Pete Willsman (CLGA, 5th and 6th) give
    # way to Ellie Reeves (Labour First / Progress) and Eddie Izzard (no slate)
    r = count(p, "block-vote", constraints=[f"{CLGA}:max=4"])
    assert _swap(base, r) == (["Ellie Reeves", "Eddie Izzard"], ["Rhea Wolfson", "Pete Willsman"])
    passed = [e.candidate for e in r.stages[0].events if e.kind == "passed over"]
    assert passed == ["Rhea Wolfson", "Pete Willsman"]
    # three men of six: Rhea Wolfson gives way; the women below her and Eddie Izzard (no
    # gender recorded) are passed over until Parmjit Dhanda (11th, 53,838)
    r = count(p, "block-vote", constraints=["gender=man:min=3"])
    assert _swap(base, r) == (["Parmjit Dhanda"], ["Rhea Wolfson"])


# -- STV ----------------------------------------------------------------------------------


def _stv_example() -> Profile:
    # 2 seats, 100 papers, quota floor(100/3)+1 = 34.  Men A, B, D; woman C.
    #   40 A>B, 30 B, 10 C, 20 D>C.   Unconstrained: A (40) elected, surplus 6 to B -> 36, B elected.
    g = {"A": "man", "B": "man", "C": "woman", "D": "man"}
    names = list(g)
    e = Election(tuple(Candidate(n, {"gender": g[n]}) for n in names), 2)

    def b(*xs: str) -> tuple[int, ...]:
        return tuple(names.index(x) for x in xs)

    return Profile.build(e, [(b("A", "B"), 40), (b("B"), 30), (b("C"), 10), (b("D", "C"), 20)])


def test_stv_guard_doom_hand_worked() -> None:
    p = _stv_example()
    assert count(p, "scottish-stv").elected == ("A", "B")
    r = count(p, "scottish-stv", constraints=["gender=woman:min=1"])
    # stage 1: A reaches the quota.  One seat is left and a woman is needed: C is guarded,
    # B and D are doomed (Grey-Fitzgerald, as OpenTally documents it)
    s1 = [(e.kind, e.candidate) for e in r.stages[0].events]
    assert s1 == [("elected", "A"), ("guarded", "C"), ("doomed", "B"), ("doomed", "D")]
    # stage 2: the doomed are excluded at the next opportunity (before A's surplus); D's 20
    # papers go to C (30); C is the one continuing candidate for the one seat left
    s2 = r.stages[1]
    assert s2.action == "exclusion" and s2.excluded == ("B", "D")
    assert [e.reason for e in s2.events if e.kind == "excluded"] == ["doomed", "doomed"]
    assert s2.totals["C"] == 30 and s2.exhausted == 30
    assert r.elected == ("A", "C")
    assert r.options["constraints"] == ("gender=woman:min=1",)
    assert r.options["constraint_method"] == "guard-doom"
    r.check_balance()


def test_stv_exclude_lowest_hand_worked() -> None:
    p = _stv_example()
    r = count(
        p, "scottish-stv", constraints=["gender=woman:min=1"], constraint_method="exclude-lowest"
    )
    kinds = [[(e.kind, e.candidate) for e in s.events] for s in r.stages]
    # stage 2: A's surplus (6) takes B to 36, but electing B would leave no seat for a woman
    assert r.stages[1].action == "surplus" and r.stages[1].totals["B"] == 36
    assert kinds[1] == [("doomed", "B")]
    # stage 3: C (10) is lowest but needed: D (20), the lowest who may go, is excluded
    assert r.stages[2].excluded == ("D",) and ("guarded", "C") in kinds[2]
    # stage 4: of B (36) and C (30), only B may be excluded; C fills the last seat
    assert r.stages[3].excluded == ("B",)
    assert r.elected == ("A", "C")
    r.check_balance()


def test_stv_maximum_dooms_at_once() -> None:
    # 3 seats, men A, B, D, woman C, E.  At most 1 man: once A is elected, B and D are doomed
    g = {"A": "man", "B": "man", "C": "woman", "D": "man", "E": "woman"}
    names = list(g)
    e = Election(tuple(Candidate(n, {"gender": g[n]}) for n in names), 3)

    def b(*xs: str) -> tuple[int, ...]:
        return tuple(names.index(x) for x in xs)

    p = Profile.build(
        e, [(b("A", "B"), 30), (b("B", "D"), 25), (b("C"), 20), (b("D", "E"), 15), (b("E"), 10)]
    )
    r = count(p, "scottish-stv", constraints=["gender=man:max=1"])
    assert [(x.kind, x.candidate) for x in r.stages[0].events][:1] == [("elected", "A")]
    assert ("doomed", "B") in [(x.kind, x.candidate) for x in r.stages[0].events]
    assert r.stages[1].excluded == ("B", "D")
    assert set(r.elected) == {"A", "C", "E"}


def test_stv_unknown_method_refused() -> None:
    with pytest.raises(RuleError, match="unknown constraint method 'lottery'"):
        count(
            _stv_example(),
            "scottish-stv",
            constraints=["gender=woman:min=1"],
            constraint_method="lottery",
        )


def test_coerce() -> None:
    assert coerce(None) is None and coerce([]) is None
    cs = coerce("gender=woman:min=1")
    assert cs is not None and cs.describe() == ["gender=woman:min=1"]
    assert coerce(cs) is cs


# -- properties ---------------------------------------------------------------------------

VALUES = {"gender": ["woman", "man"], "region": ["north", "south", "east"]}


@st.composite
def constrained(draw: st.DrawFn, kind: str) -> tuple[Profile, list[str]]:
    n = draw(st.integers(2, 7))
    seats = draw(st.integers(1, n - 1))
    attrs = {f"C{i}": {a: draw(st.sampled_from(v)) for a, v in VALUES.items()} for i in range(n)}
    e = _election(attrs, seats)
    if kind == "ranked":
        ballots = draw(
            st.lists(
                st.tuples(
                    st.permutations(range(n)).flatmap(
                        lambda q: st.integers(1, len(q)).map(lambda k: tuple(q[:k]))
                    ),
                    st.integers(1, 30),
                ),
                min_size=1,
                max_size=10,
            )
        )
        p = Profile.build(e, ballots)
    else:
        marks = draw(
            st.lists(
                st.tuples(
                    st.sets(st.integers(0, n - 1), min_size=1, max_size=seats), st.integers(1, 30)
                ),
                min_size=1,
                max_size=10,
            )
        )
        p = Profile.build(e, [(tuple(sorted(m)), w) for m, w in marks], kind="approval")
    specs = []
    for _ in range(draw(st.integers(1, 3))):
        a = draw(st.sampled_from(sorted(VALUES)))
        v = draw(st.sampled_from(VALUES[a]))
        group = f"{a}={v}"
        if draw(st.booleans()):
            b = draw(st.sampled_from([x for x in VALUES if x != a]))
            group += f",{b}={draw(st.sampled_from(VALUES[b]))}"
        lo = draw(st.none() | st.integers(0, seats))
        hi = draw(st.none() | st.integers(0, seats))
        if lo is None and hi is None:
            lo = 1
        specs.append(
            group
            + (f":min={lo}" if lo is not None else "")
            + (f":max={hi}" if hi is not None else "")
        )
    return p, specs


def _brute_feasible(p: Profile, specs: list[str]) -> bool:
    cons = [parse_constraint(s) for s in specs]
    e = p.election
    for combo in itertools.combinations(range(len(e.candidates)), e.seats):
        ok = True
        for c in cons:
            k = sum(1 for i in combo if c.matches(e.candidates[i].attributes))
            lo = c.minimum.resolve(e.seats, up=True) if c.minimum else 0
            hi = c.maximum.resolve(e.seats, up=False) if c.maximum else e.seats
            if not lo <= k <= hi:
                ok = False
                break
        if ok:
            return True
    return False


def _conforms(r: CountRecord, p: Profile, specs: list[str]) -> bool:
    idx = {n: i for i, n in enumerate(p.election.names)}
    return _bind(specs, p.election).satisfied_by([idx[n] for n in r.elected])


CONSTRAINT_EVENTS = {"guarded", "doomed", "passed over"}

settings.register_profile(
    "constraints",
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)


def _bindable(p: Profile, specs: list[str]) -> bool:
    try:
        _bind(specs, p.election)
    except ElectionError:
        return False
    return True


@settings(settings.get_profile("constraints"))
@given(constrained("approval"))
def test_feasibility_check_agrees_with_brute_force(case: tuple[Profile, list[str]]) -> None:
    p, specs = case
    e = p.election
    if any(not any(parse_constraint(x).matches(c.attributes) for c in e.candidates) for x in specs):
        # a group nobody belongs to is refused (most likely a misspelt value)
        with pytest.raises(ElectionError):
            _bind(specs, e)
        return
    assert _bindable(p, specs) == _brute_feasible(p, specs)


@settings(settings.get_profile("constraints"))
@given(constrained("approval"))
def test_block_vote_results_conform(case: tuple[Profile, list[str]]) -> None:
    p, specs = case
    if not _bindable(p, specs):
        with pytest.raises(ElectionError):
            count(p, "block-vote", constraints=specs)
        return
    r = count(p, "block-vote", constraints=specs)
    assert len(r.elected) == p.election.seats and _conforms(r, p, specs)
    if not any(e.kind in CONSTRAINT_EVENTS for s in r.stages for e in s.events):
        plain = count(p, "block-vote")
        assert r.elected == plain.elected and r.stages[0].events == plain.stages[0].events


def _same_stages(a: CountRecord, b: CountRecord) -> None:
    assert len(a.stages) == len(b.stages)
    for x, y in zip(a.stages, b.stages):
        assert (x.action, x.subjects, x.totals, x.exhausted, x.loss, x.elected, x.excluded) == (
            y.action,
            y.subjects,
            y.totals,
            y.exhausted,
            y.loss,
            y.elected,
            y.excluded,
        )
        assert x.events == y.events
    assert a.elected == b.elected


@pytest.mark.parametrize("method", GREGORY)
@pytest.mark.parametrize("how", ["guard-doom", "exclude-lowest"])
@settings(settings.get_profile("constraints"))
@given(case=constrained("ranked"))
def test_stv_results_conform(method: str, how: str, case: tuple[Profile, list[str]]) -> None:
    p, specs = case
    if not _bindable(p, specs):
        with pytest.raises(ElectionError):
            count(p, method, constraints=specs, constraint_method=how)
        return
    r = count(p, method, constraints=specs, constraint_method=how)
    r.check_balance()
    assert len(r.elected) == p.election.seats and _conforms(r, p, specs)
    if not any(e.kind in CONSTRAINT_EVENTS for s in r.stages for e in s.events):
        # no constraint bound: the count is the unconstrained count, stage by stage
        _same_stages(r, count(p, method))


# -- the command line ---------------------------------------------------------------------


def test_cli_count_with_candidates_and_constraints(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blt = tmp_path / "e.blt"
    blt.write_text('4 2\n40 1 2 0\n30 2 0\n10 3 0\n20 4 3 0\n0\n"A"\n"B"\n"C"\n"D"\n"Example"\n')
    cands = tmp_path / "cands.csv"
    cands.write_text("name,gender\nA,man\nB,man\nC,woman\nD,man\n")
    cons = tmp_path / "cons.toml"
    cons.write_text('[[constraint]]\ngender = "woman"\nmin = 1\n')
    for extra in (["--constraint", "gender=woman:min=1"], ["--constraints", str(cons)]):
        with pytest.raises(SystemExit) as ex:
            main(
                [
                    "count",
                    str(blt),
                    "-m",
                    "scottish-stv",
                    "--candidates",
                    str(cands),
                    "--format",
                    "json",
                    *extra,
                ]
            )
        out = capsys.readouterr().out
        assert ex.value.code == 0
        assert '"elected": [' in out and '"guarded"' in out and '"doomed"' in out
    with pytest.raises(SystemExit) as ex:
        main(["count", str(blt), "-m", "scottish-stv", "--constraint", "gender=woman:min=1"])
    assert ex.value.code == 2
    assert "no candidate has the attribute 'gender'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as ex:
        main(
            [
                "count",
                str(blt),
                "-m",
                "scottish-stv",
                "--candidates",
                str(cands),
                "--constraint",
                "gender=woman:min=2",
            ]
        )
    assert ex.value.code == 2
    assert (
        "group gender=woman needs at least 2 seats but only 1 of its candidates stand"
        in capsys.readouterr().err
    )
    with pytest.raises(SystemExit) as ex:
        main(
            [
                "count",
                str(blt),
                "-m",
                "scottish-stv",
                "--candidates",
                str(cands),
                "--constraint",
                "gender=woman:min=1",
                "--option",
                "constraint_method=exclude-lowest",
            ]
        )
    assert ex.value.code == 0


def test_text_sheet_shows_guard_and_doom_events() -> None:
    from tallyroom.reports import render

    rec = count(_stv_example(), "scottish-stv", constraints=["gender=woman:min=1"])
    text = render([rec], "text")
    assert "Other decisions:" in text
    kinds = {e.kind for s in rec.stages for e in s.events} - {"elected", "excluded", "withdrawn"}
    assert kinds and all(k in text for k in kinds)
