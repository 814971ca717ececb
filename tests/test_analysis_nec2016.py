"""The NEC 2016 demo: synthetic electorates that give the published block-vote totals."""

from __future__ import annotations

import json

from click.testing import CliRunner

from tallyroom.analysis import nec2016
from tallyroom.cli import cli


def test_published_facts_ship_with_the_package() -> None:
    pub = nec2016.published()
    assert sum(pub.totals.values()) == 1_000_421
    assert pub.totals["Ann Black"] == 100_999
    assert len(pub.winners) == 6
    assert {pub.slates[w] for w in pub.winners} == {"Centre-Left Grassroots Alliance"}
    assert "LabourList" in pub.source


def test_demo_block_vote_is_exact_and_stv_is_not_6_0() -> None:
    result = nec2016.run(nec2016.Assumptions(reconstructions=20, seed=1))
    assert all(r.exact for r in result.runs)
    assert result.distribution("block-vote") == {(6, 0, 0): 20}
    for m in ("ers97-stv", "meek-stv"):
        dist = result.distribution(m)
        assert (6, 0, 0) not in dist
        assert all(k[0] >= 3 for k in dist)  # the larger slate keeps a plurality of seats
    text = nec2016.render_text(result)
    assert "SYNTHETIC" in text and "1,000,421" in text and "6-0-0" in text
    same = nec2016.run(nec2016.Assumptions(reconstructions=20, seed=1))
    assert [r.seats for r in same.runs] == [r.seats for r in result.runs]


def test_cli_demo() -> None:
    r = CliRunner().invoke(cli, ["demo", "nec2016", "-n", "10", "--format", "json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["synthetic"] is True
    assert data["methods"]["block-vote"]["distribution"] == {"6-0-0": 10}


def test_cli_simulate() -> None:
    r = CliRunner().invoke(cli, ["simulate", "-n", "5", "--voters", "300"])
    assert r.exit_code == 0, r.output
    assert "block-vote" in r.output and "Gallagher" in r.output
    r = CliRunner().invoke(cli, ["simulate", "-g", "spatial-2d", "-n", "3", "--format", "json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["elections"] == 3
