"""Target 7 of issue 18, as a property: any interleaving of re-issued codes, online casts
(with the current code, a superseded one, a session opened before a re-issue, two at
once) gives at most one counted ballot per slot, and the box holds exactly the ballots
of the slots marked voted. (Postal entries are not a channel of the service yet.)

Hypothesis draws the sequences; the model is the obvious one: a slot is voted once a cast
with its current issue has been acknowledged, and never again."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tallyroom.service import codes, core, schema

MEMBERS = ["M001", "M002", "M003", "M004", "M005"]  # the eligible members of conftest.ROLL
QUICK = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)

steps = st.lists(
    st.tuples(
        st.sampled_from(["reissue", "cast", "cast-old-code", "reissue-mid-cast", "double"]),
        st.sampled_from(MEMBERS),
    ),
    min_size=1,
    max_size=8,
)


def _slots(svc: core.Service, eid: str) -> dict[str, Any]:
    with svc.engine.begin() as conn:
        key = conn.execute(
            select(schema.election.c.key).where(schema.election.c.id == eid)
        ).scalar_one()
        rows = conn.execute(
            select(
                schema.member.c.number,
                schema.slot.c.id,
                schema.slot.c.issue,
                schema.slot.c.voted,
                schema.slot.c.contests,
            )
            .join(schema.member, schema.member.c.id == schema.slot.c.member_id)
            .where(schema.slot.c.election_id == eid)
        ).all()
    return {r.number: (r, key) for r in rows}


def _cast(svc: core.Service, eid: str, slot: dict[str, Any]) -> str | None:
    try:
        return core.cast(svc, eid, slot["slot"], slot["issue"], dict.fromkeys(slot["contests"]))
    except core.AlreadyVoted:
        return None


def _run(opened: dict[str, Any], sequence: list[tuple[str, str]]) -> None:
    svc, eid, a = opened["svc"], opened["eid"], opened["a"]
    acknowledged: list[str] = []
    for op, member in sequence:
        (row, key) = _slots(svc, eid)[member]
        voted_before = row.voted
        code = codes.derive(key, row.id, row.issue)
        if op == "reissue":
            if voted_before:
                with pytest.raises(core.AlreadyVoted):
                    core.reissue(svc, a, eid, member, "post")
            else:
                core.reissue(svc, a, eid, member, "post")
            continue
        if op == "cast-old-code":
            if row.issue == 1:
                continue
            old = codes.derive(key, row.id, row.issue - 1)
            with pytest.raises(core.ServiceError) as refused:
                core.enter_code(svc, eid, old)
            assert not isinstance(refused.value, core.AlreadyVoted) or voted_before
            continue
        try:
            slot = core.enter_code(svc, eid, code)
        except core.AlreadyVoted:
            assert voted_before
            continue
        assert not voted_before
        if op == "cast":
            t = _cast(svc, eid, slot)
            assert t is not None
            acknowledged.append(t)
        elif op == "reissue-mid-cast":
            # the voter opened the ballot; the officer re-issues; the old session casts
            core.reissue(svc, a, eid, member, "post")
            assert _cast(svc, eid, slot) is None
        else:  # two submissions at once: exactly one counts
            got: list[str | None] = []
            ts = [
                threading.Thread(target=lambda g, s: g.append(_cast(svc, eid, s)), args=(got, slot))
                for _ in "ab"
            ]
            for t in ts:
                t.start()
            for t in ts:
                t.join(60)
            won = [t for t in got if t is not None]
            assert len(got) == 2 and len(won) == 1, got
            acknowledged += won
    # the books: one paper per voted slot, each contest's ballots = its voters
    slots = [r for r, _ in _slots(svc, eid).values()]
    with svc.engine.begin() as conn:
        per_contest = dict(
            conn.execute(
                select(schema.ballot.c.contest_id, func.count()).group_by(
                    schema.ballot.c.contest_id
                )
            ).all()
        )
        trackers = {r.tracker for r in conn.execute(select(schema.ballot.c.tracker))}
    for cid in opened["contests"].values():
        assert per_contest.get(cid, 0) == sum(r.voted and cid in r.contests for r in slots)
    assert len(trackers) == sum(r.voted for r in slots)
    assert set(acknowledged) <= trackers


@QUICK
@given(sequence=steps)
def test_any_interleaving_counts_at_most_one_ballot_per_slot(
    opened: dict[str, Any], sequence: list[tuple[str, str]]
) -> None:
    _run(opened, sequence)


@pytest.mark.slow
@settings(QUICK, max_examples=200)
@given(sequence=steps)
def test_any_interleaving_counts_at_most_one_ballot_per_slot_long(
    opened: dict[str, Any], sequence: list[tuple[str, str]]
) -> None:
    _run(opened, sequence)
