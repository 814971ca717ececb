"""The same ballots under many rules; all 351 Scottish 2017 wards added up by party."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from tallyroom.analysis.compare import (
    SCOTTISH_ALIASES,
    aggregate,
    compare,
    group_candidates,
    ordered_groups,
    render_aggregate_text,
    render_text,
)
from tallyroom.ballots.formats.blt import read_blt
from tallyroom.ballots.model import Candidate, Election, Profile
from tallyroom.cli import cli

SCOTLAND = Path(__file__).parent / "data" / "scotland" / "ballots"
WARD1 = SCOTLAND / "aberdeen_2017_ward1.blt"
OFFICIAL = Path(__file__).parent / "data" / "scotland" / "official-2017"


def test_groups_from_attributes_and_names() -> None:
    e = Election((Candidate("Ann (Lab)"), Candidate("Bob (C)"), Candidate("Cy")), 1)
    assert group_candidates(e) == {"Ann (Lab)": "Lab", "Bob (C)": "C", "Cy": "(no group)"}
    assert group_candidates(e, aliases=SCOTTISH_ALIASES)["Bob (C)"] == "Con"
    assert group_candidates(e, "candidate")["Cy"] == "Cy"
    f = Election((Candidate("A", {"slate": "x"}), Candidate("B (Lab)", {"slate": "y"})), 1)
    assert group_candidates(f) == {"A": "x", "B (Lab)": "y"}
    assert group_candidates(f, "name")["B (Lab)"] == "Lab"


def test_compare_one_ward() -> None:
    p = read_blt(WARD1)
    c = compare(p, ["scottish-stv", "block-vote", "fptp", "irv"])
    by = {o.method: o for o in c.outcomes}
    # the official 2017 result: Con, SNP, Lab, SNP
    assert set(by["scottish-stv"].elected) == {
        "Avril MACKENZIE (Con)",
        "Neil MACGREGOR (SNP)",
        "Barney CROCKETT (Lab)",
        "Gill SAMARAI (SNP)",
    }
    assert by["scottish-stv"].seats_by_group == {"Con": 1, "SNP": 2, "Lab": 1}
    assert by["fptp"].single_member and by["fptp"].elected == ("Avril MACKENZIE (Con)",)
    assert by["irv"].single_member and len(by["irv"].elected) == 1
    assert c.first_preferences["SNP"] == 1670 + 785
    rep = by["fptp"].represented
    assert rep is not None and rep.first_choice_elected == 2012
    text = render_text(c)
    assert "Gallagher" in text and "[single member]" in text
    json.dumps(c.to_dict())


def test_compare_reports_a_rule_that_cannot_count() -> None:
    e = Election((Candidate("A"), Candidate("B")), 1)
    p = Profile.build(e, [((0, 1), 3)])
    c = compare(p, ["seq-pav", "irv"])  # an approval rule on ranked ballots
    assert c.outcomes[0].error and c.outcomes[1].elected == ("A",)


def test_scotland_2017_all_wards_by_party() -> None:
    files = sorted(SCOTLAND.glob("*_2017_ward*.blt"))
    assert len(files) == 351
    comps = [
        compare(
            read_blt(f), ["scottish-stv", "block-vote", "snv", "fptp"], aliases=SCOTTISH_ALIASES
        )
        for f in files
    ]
    a = aggregate(comps)
    assert a.elections == 351 and a.seats == 1218  # contested wards only
    assert a.seats_filled == {"scottish-stv": 1218, "block-vote": 1218, "snv": 1218, "fptp": 351}
    stv = a.seats_by_method["scottish-stv"]
    # the seats by party under the statutory rule equal the official winners of every
    # ward (tests/data/scotland/official-2017), grouped the same way
    official: dict[str, int] = {}
    for f in files:
        sheet = json.loads((OFFICIAL / f.name.replace(".blt", ".expected.json")).read_text())
        e = Election(tuple(Candidate(n) for n in sheet["blt_candidates"]), sheet["seats"])
        groups = group_candidates(e, aliases=SCOTTISH_ALIASES)
        for w in sheet["elected_in_order"]:
            official[groups[w["name"]]] = official.get(groups[w["name"]], 0) + 1
    assert dict(stv) == official
    assert stv["SNP"] == 429 and stv["Con"] == 275  # contested wards only
    # first-preference shares as published for the whole of Scotland in 2017 (SNP 32.3 %,
    # Con 25.3 %, to one decimal); the files hold the contested wards' ballots
    share = {g: v / a.papers for g, v in a.first_preferences.items()}
    assert round(share["SNP"] * 100, 1) == 32.3
    assert round(share["Con"] * 100, 1) == 25.3
    # STV is far nearer proportional than the block vote or single-member FPTP
    g = {m: p.gallagher for m, p in a.indices.items()}
    assert g["scottish-stv"] < g["block-vote"] and g["scottish-stv"] < g["fptp"]
    assert "Seats by group" in render_aggregate_text(a, "Scotland 2017")


def test_cli_compare_text_and_json() -> None:
    r = CliRunner().invoke(cli, ["compare", str(WARD1), "-m", "scottish-stv,meek-stv,fptp"])
    assert r.exit_code == 0, r.output
    assert "Proportionality" in r.output and "Avril MACKENZIE (Con)" in r.output
    files = [str(f) for f in sorted(SCOTLAND.glob("aberdeen_2017_ward*.blt"))]
    r = CliRunner().invoke(
        cli, ["compare", *files, "-m", "scottish-stv,fptp", "--alias", "C=Con", "--format", "json"]
    )
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["total"]["elections"] == 13
    assert data["total"]["methods"]["fptp"]["seats_filled"] == 13
    r = CliRunner().invoke(cli, ["compare", str(WARD1), "-m", "no-such-rule"])
    assert r.exit_code != 0 and "unknown counting rule" in r.output


def test_groups_tied_on_first_preferences_keep_the_order_they_are_met() -> None:
    """Worked by hand: C has the most first preferences; B and A tie on 3 and stay in the
    order ``first`` gives them; D (seats, no first preferences) comes last.  Before, ties
    came out in the order of a set, which changes from run to run (hash randomisation)."""
    first = {"B": 3.0, "A": 3.0, "C": 5.0}
    assert ordered_groups(first, {"irv": {"D": 1, "A": 1}}) == ["C", "B", "A", "D"]


def test_compare_pages_are_the_same_on_every_run(tmp_path: Path) -> None:
    """Three candidates with one first preference each: the same text under two hash seeds."""
    ballots = tmp_path / "tie.csv"
    ballots.write_text("Rank 1,Rank 2\nAmy,Bob\nBob,Chuck\nChuck,Amy\n", encoding="utf-8")
    code = (
        "import sys; from tallyroom.cli import cli; "
        "cli(['compare', sys.argv[1], '-m', 'irv,block-vote'])"
    )
    outs = set()
    for seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        run = subprocess.run(
            [sys.executable, "-c", code, str(ballots)], capture_output=True, text=True, env=env
        )
        assert run.returncode == 0, run.stderr
        outs.add(run.stdout)
    assert len(outs) == 1
