"""Approval committee rules against abcvoting's 480 test instances (exact results)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tallyroom.ballots.model import Candidate, Election, Profile
from tallyroom.errors import RuleError
from tallyroom.rules import count

INSTANCES = sorted(
    (Path(__file__).parent / "data" / "abcvoting" / "test_instances").glob("*.abc.yaml")
)

# abcvoting rule id -> (tallyroom rule id, options)
RULES = {
    "av": ("approval", {}),
    "sav": ("sav", {}),
    "pav": ("pav", {}),
    "seqpav": ("seq-pav", {}),
    "seqphragmen": ("seq-phragmen", {}),
    "equal-shares": ("mes", {}),  # abcvoting: MES completed by seq-Phragmén
    "equal-shares-with-av-completion": ("mes", {"completion": "av"}),
}


def load_abc_yaml(path: Path) -> dict[str, Any]:
    """The .abc.yaml files use only flow lists, numbers, booleans and one quoted string,
    so each value is JSON once continuation lines are joined (no YAML dependency)."""
    lines: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if re.match(r"^(- )?\s*[a-z_]+:", line):
            lines.append(line)
        else:
            lines[-1] += " " + line.strip()
    top: dict[str, Any] = {}
    compute: list[dict[str, Any]] = []
    for line in lines:
        m = re.match(r"^(- |  )?([a-z_]+):\s*(.*)$", line)
        assert m, line
        indent, key, text = m.groups()
        try:
            value = json.loads(text) if text else None
        except ValueError:
            value = text
        if indent == "- ":
            compute.append({key: value})
        elif indent == "  ":
            compute[-1][key] = value
        else:
            top[key] = value
    top["compute"] = compute
    return top


def test_all_instances_present() -> None:
    assert len(INSTANCES) == 480


@pytest.mark.parametrize("path", INSTANCES, ids=lambda p: p.name.split(".")[0])
def test_abcvoting_instance(path: Path) -> None:
    # abcvoting lists, per rule, every committee that wins under some tie-breaking
    # ("resolute: false"; the resolute entries list the same set).  A count breaks ties
    # by seeded lot, so its committee must be one of those listed: membership, not
    # equality with a particular one.
    d = load_abc_yaml(path)
    e = Election(tuple(Candidate(f"c{i}") for i in range(d["num_cand"])), d["committeesize"])
    # empty ballots are voters too (they share the MES budget)
    p = Profile.build(e, [(tuple(sorted(b)), 1) for b in d["profile"]], kind="approval")
    checked = set()
    for entry in d["compute"]:
        rule = entry["rule_id"]
        if rule not in RULES or rule in checked:
            continue
        checked.add(rule)
        rid, options = RULES[rule]
        r = count(p, rid, **options)
        got = sorted(int(n[1:]) for n in r.elected)
        assert got in [sorted(c) for c in entry["result"]], (rule, got, entry["result"])
    assert checked == set(RULES)


def _approval(rows: list[tuple[str, int]], k: int) -> Profile:
    names = sorted({c for b, _ in rows for c in b})
    e = Election(tuple(Candidate(n) for n in names), k)
    return Profile.build(
        e, [(tuple(sorted(names.index(c) for c in b)), w) for b, w in rows], kind="approval"
    )


def test_lackner_skowron_example() -> None:
    # The profile of Lackner & Skowron (2023), Example 2.12: {c,d} x3, {a,b} x2, {a,c} x2,
    # {b,d}.  Approvals a 4, b 3, c 5, d 4: AV takes c, then a or d (tied, by lot, recorded).
    p = _approval([("cd", 3), ("ab", 2), ("ac", 2), ("bd", 1)], 2)
    av = count(p, "approval", seed=3)
    assert av.elected[0] == "c" and av.elected[1] in {"a", "d"}
    assert av.ties and set(av.ties[0].tied) == {"a", "d"}
    mes = count(p, "mes")
    assert len(mes.elected) == 2
    assert mes.stages[0].extra["budget_per_voter"] == 0.25


def test_pav_refuses_huge_search() -> None:
    p = _approval([("ab", 1)], 2)
    with pytest.raises(RuleError, match="NP-hard"):
        count(p, "pav", max_committees=0)


def test_ranked_profile_refused() -> None:
    e = Election((Candidate("A"), Candidate("B")), 1)
    with pytest.raises(RuleError, match="approval"):
        count(Profile.build(e, [((0, 1), 1)]), "pav")
