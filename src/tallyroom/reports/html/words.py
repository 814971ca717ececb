"""Figures and words: how a record's numbers are shown, and what each stage, tie,
candidate and decision means in sentences a member can follow.

Every figure is a decimal string made by :func:`tallyroom.numbers.format_decimal` at the
places of the JSON contract, so that the page and ``result.json`` agree digit for digit.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from fractions import Fraction

from tallyroom.numbers import format_decimal
from tallyroom.record import CountRecord, Stage, TieBreak
from tallyroom.reports.json import EXACT_PLACES

NON_TRANSFERABLE = "Non-transferable"
LOSS = "Rounding loss"
MAX_NAMED = 8  # recipients named in a stage's sentence before "and N others"

# --------------------------------------------------------------------------- numbers


def figure_places(record: CountRecord) -> int:
    """Decimals shown for votes: the rule's own; for a count in exact rationals, none when
    every vote figure is whole (papers, as in IRV rounds), else the JSON contract's places."""
    if record.places is not None:
        return record.places
    values: list[Fraction | int] = []
    for s in record.stages:
        values += [*s.totals.values(), *s.transfers.values(), s.exhausted, s.loss]
    return 0 if all(Fraction(v).denominator == 1 for v in values) else EXACT_PLACES


def fmt(x: Fraction | int, places: int) -> str:
    """A figure at ``places``; at 0 places (a count of whole papers) a value that is not
    whole -- a threshold of half the papers -- keeps the decimals it needs, up to the
    JSON contract's, so that nothing shown is rounded away."""
    f = Fraction(x)
    if places == 0 and f.denominator != 1:
        return format_decimal(f, EXACT_PLACES).rstrip("0")
    return format_decimal(f, places)


def fmt_signed(x: Fraction | int, places: int) -> str:
    """A change: "+62.07214", "-690.00000", and "" for no change."""
    if x == 0:
        return ""
    s = format_decimal(Fraction(x), places)
    return s if s.startswith("-") else "+" + s


def fmt_count(x: Fraction | int, places: int) -> str:
    """Papers: a whole number when whole (as the JSON contract writes them)."""
    f = Fraction(x)
    return str(f.numerator) if f.denominator == 1 else format_decimal(f, places)


def percent(part: Fraction | int, whole: Fraction | int) -> str:
    """``part`` as a percentage of ``whole``, to one decimal ("" when ``whole`` is 0)."""
    if not whole:
        return ""
    return format_decimal(Fraction(part) * 100 / Fraction(whole), 1) + "%"


# --------------------------------------------------------------------------- the record


def election_name(record: CountRecord) -> str:
    """The election's name as people know it: its title, else the ballot file's name
    (never the folder it sits in), else the rule's name."""
    if record.election_title:
        return record.election_title
    if record.source:
        return os.path.basename(record.source)
    return record.title


def election_details(record: CountRecord) -> str:
    """Organisation, office and date, as one line ("" when none is known)."""
    return " · ".join(x for x in (record.organisation, record.office, record.date) if x)


def is_majority(record: CountRecord) -> bool:
    """Whether the count's bar is a majority threshold (IRV and its relatives: no quota
    for the count, a threshold that moves with the continuing papers) rather than a quota."""
    return record.quota is None and any(s.quota is not None for s in record.stages)


def threshold_word(record: CountRecord) -> str:
    return "majority threshold" if is_majority(record) else "quota"


def is_rounds(record: CountRecord) -> bool:
    """A count in rounds (IRV and its relatives), not in stages."""
    return (
        bool(record.stages)
        and all(s.action in ("first preferences", "round") for s in record.stages)
        and is_majority(record)
    )


def stage_word(record: CountRecord) -> str:
    return "round" if is_rounds(record) else "stage"


def stage_name(record: CountRecord, s: Stage) -> str:
    """What a stage did, in words: for a round, who was eliminated or elected at it."""
    if is_rounds(record):
        what = []
        if s.excluded:
            what.append(_join(s.excluded) + " eliminated")
        if s.elected:
            what.append(_join(s.elected) + " elected")
        return "; ".join(what) if what else (s.description or s.action)
    return s.description or s.action


def transfers_shown(stage: Stage) -> bool:
    """Whether the stage table gives this stage a transfer column.

    The first stage's "transfers" are the first preferences themselves: shown once.
    """
    return bool(stage.transfers) and dict(stage.transfers) != dict(stage.totals)


def stage_changes(record: CountRecord, index: int) -> dict[str, Fraction]:
    """The change each candidate's votes made at a stage.

    ``Stage.transfers`` when the rule recorded them, else the difference from the previous
    stage's totals (rules that record only their rounds' totals).
    """
    s = record.stages[index]
    if s.transfers and index > 0:
        return {n: Fraction(v) for n, v in s.transfers.items()}
    if index == 0 or not s.totals:
        return {}
    prev = record.stages[index - 1].totals
    names = list(dict.fromkeys([*prev, *s.totals]))
    return {
        n: Fraction(s.totals.get(n, 0)) - Fraction(prev.get(n, 0))
        for n in names
        if Fraction(s.totals.get(n, 0)) != Fraction(prev.get(n, 0))
    }


def statuses(record: CountRecord) -> list[dict[str, str]]:
    """Each candidate's status at the end of each stage: continuing, elected, excluded, withdrawn."""
    status = {n: "continuing" for n in record.candidates}
    for n in record.withdrawn:
        status[n] = "withdrawn"
    out = []
    for s in record.stages:
        for n in s.elected:
            status[n] = "elected"
        for n in s.excluded:
            status[n] = "excluded"
        out.append(dict(status))
    return out


def quota_at(record: CountRecord, s: Stage) -> Fraction | None:
    q = s.quota if s.quota is not None else record.quota
    return None if q is None else Fraction(q)


# --------------------------------------------------------------------------- sentences


def _join(names: Sequence[str]) -> str:
    names = list(names)
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


join = _join


def tie_in_words(t: TieBreak) -> str:
    """A tie and how it was broken, as a sentence a member can follow."""
    from tallyroom.reports.text import tie_in_words as words

    return words(t)


def _title(key: str) -> str:
    return key.replace("_", " ").strip().capitalize()


def stage_in_words(record: CountRecord, index: int, places: int, detail: bool = True) -> str:
    """What happened at a stage, in a sentence or two; ``detail`` names every recipient
    (up to :data:`MAX_NAMED`), else only the candidates whose votes moved."""
    from tallyroom.reports.html.tables import cell, rich

    s = record.stages[index]
    word = stage_word(record).capitalize()
    rounds = is_rounds(record)
    parts = [f"{word} {s.number}." if rounds else f"{word} {s.number}: {stage_name(record, s)}."]
    changes = stage_changes(record, index)
    if s.transfer_value is not None and s.action == "surplus":
        parts.append(f"Transfer value {fmt(s.transfer_value, places)}.")
    gains = sorted(((n, v) for n, v in changes.items() if v > 0), key=lambda x: -x[1])
    losses = [(n, v) for n, v in changes.items() if v < 0]
    if losses:
        moved = "Votes moved from " + _join([f"{n} ({fmt(-v, places)})" for n, v in losses])
        if detail and gains:
            named = [f"{n} (+{fmt(v, places)})" for n, v in gains[:MAX_NAMED]]
            rest = gains[MAX_NAMED:]
            if rest:
                others = sum((v for _, v in rest), Fraction(0))
                named.append(f"{len(rest)} others (+{fmt(others, places)} together)")
            moved += " to " + _join(named)
        parts.append(moved + ".")
    if index > 0:
        nt = Fraction(s.exhausted) - Fraction(record.stages[index - 1].exhausted)
        if nt:
            parts.append(f"Non-transferable: {fmt_signed(nt, places)}.")
    if s.elected and not is_rounds(record):
        parts.append(f"Elected: {_join(s.elected)}.")
    if s.excluded and s.action != "exclusion" and not is_rounds(record):
        parts.append(f"Excluded: {_join(s.excluded)}.")
    for e in s.events:
        if e.kind not in ("elected", "excluded"):
            parts.append(f"{e.candidate}: {e.kind}{' (' + e.reason + ')' if e.reason else ''}.")
    for k, v in s.extra.items():
        if not rich(v):
            parts.append(f"{_title(k)}: {cell(v, places)}.")
    if rounds:
        # a round's result comes after its count: who was eliminated (or elected) at its end
        reasons = {e.candidate: e.reason for e in s.events}
        for n in s.excluded:
            why = f" ({reasons[n]})" if reasons.get(n) else ""
            parts.append(f"{n} eliminated{why}.")
        for n in s.elected:
            why = f" ({reasons[n]})" if reasons.get(n) else ""
            parts.append(f"{n} elected{why}.")
    return " ".join(parts)


def journeys_in_words(record: CountRecord, places: int) -> list[str]:
    """One sentence per candidate: where they started, and how their count ended."""
    stages = [s for s in record.stages if s.totals]
    word = stage_word(record)
    out = []
    for n in record.candidates:
        if n in record.withdrawn:
            out.append(f"{n} withdrew before the count.")
            continue
        seen = [s for s in stages if n in s.totals]
        if not seen:
            continue
        first = Fraction(seen[0].totals[n])
        sentence = f"{n} had {fmt(first, places)} votes at {word} {seen[0].number}"
        elected_at = next((s for s in stages if n in s.elected), None)
        excluded_at = next((s for s in stages if n in s.excluded), None)
        if elected_at is not None:
            sentence += (
                f"; elected at {word} {elected_at.number} with "
                f"{fmt(elected_at.totals.get(n, 0), places)}"
            )
        elif excluded_at is not None:
            if is_rounds(record):
                at = excluded_at.totals.get(n, 0)
                sentence += f"; eliminated after {word} {excluded_at.number} with {fmt(at, places)}"
            else:
                before = stages.index(excluded_at) - 1
                at = (
                    stages[before].totals.get(n, 0) if before >= 0 else excluded_at.totals.get(n, 0)
                )
                sentence += f"; excluded at {word} {excluded_at.number} with {fmt(at, places)}"
        else:
            last = seen[-1]
            sentence += f"; {fmt(last.totals[n], places)} at the last {word} ({last.number})" + (
                ", elected" if n in record.elected else ", not elected"
            )
        out.append(sentence + ".")
    return out


def below_quota_in_words(record: CountRecord, places: int) -> list[str]:
    """One sentence for each candidate elected with fewer votes than the quota, and why."""
    out = []
    for s in record.stages:
        q = quota_at(record, s)
        if q is None or not s.totals or is_majority(record):
            continue
        reasons = {e.candidate: e.reason for e in s.events if e.kind == "elected"}
        for n in s.elected:
            v = Fraction(s.totals.get(n, 0))
            if v >= q:
                continue
            why = reasons.get(n, "")
            if "continuing candidates = places" in why or "last places" in why:
                why = (
                    "because the candidates still in the count were no more than the seats "
                    "left to fill, so they were all elected"
                )
            elif why:
                why = f"({why})"
            else:
                why = "as the rule provides"
            out.append(
                f"{n} was elected at stage {s.number} with {fmt(v, places)} votes, below the "
                f"quota of {fmt(q, places)}, {why}."
            )
    return out


def final_round_in_words(record: CountRecord, places: int) -> str:
    """The last round of a count in rounds: each finalist's votes and share of the
    continuing votes, and who won ("" when the count is not in rounds)."""
    if not is_rounds(record):
        return ""
    last = record.stages[-1]
    if not last.totals:
        return ""
    live = [(n, Fraction(v)) for n, v in last.totals.items() if v]
    live.sort(key=lambda x: -x[1])
    total = sum((v for _, v in live), Fraction(0))
    each = _join([f"{n} {fmt(v, places)} ({percent(v, total)})" for n, v in live])
    won = _join(list(last.elected) or list(record.elected))
    sentence = (
        f"In the final round ({last.number}), {fmt(total, places)} votes were still for a "
        f"continuing candidate: {each}."
    )
    q = quota_at(record, last)
    if won:
        sentence += f" {won} won"
        if q is not None:
            sentence += f", over the majority threshold of {fmt(q, places)}"
        sentence += "."
    return sentence


def other_decisions_in_words(record: CountRecord) -> list[str]:
    """Events other than elections, exclusions and withdrawals (a group's candidates
    guarded, doomed or passed over to meet a constraint, a deferred surplus ...)."""
    out = []
    for s in record.stages:
        for e in s.events:
            if e.kind in ("elected", "excluded", "withdrawn"):
                continue
            reason = f": {e.reason}" if e.reason else ""
            out.append(
                f"{stage_word(record).capitalize()} {s.number}: {e.candidate} {e.kind}{reason}."
            )
    return out


#: the rule options' names in words (the options record documents each in full)
OPTION_WORDS = {
    "quota": "Quota formula",
    "quota_form": "How the quota is rounded",
    "quota_recompute": "Quota recomputed",
    "quota_base": "Quota worked from",
    "elect_on": "Elected on reaching (>=) or exceeding (>) the quota",
    "elect_per_stage": "Candidates elected per stage",
    "elect_on_active_threshold": "Also elected on the active-vote threshold",
    "surplus": "Surplus transfer method",
    "surpluses_per_stage": "Surpluses transferred per stage",
    "tv_compose": "How a paper's new value is worked out",
    "zero_surplus_stage": "A stage for a surplus of zero",
    "tv_divisor": "Transfer value divided by",
    "tv_cap": "Transfer value capped at the value received",
    "tv_rounding": "Transfer values rounded",
    "surplus_order": "Order of surpluses",
    "defer_surpluses": "Surpluses deferred",
    "exclusion": "Candidates excluded at a time",
    "bulk_margin": "Bulk exclusion margin",
    "last_exclusion": "The last exclusion",
    "exclusion_transfers": "Transfers of an excluded candidate's papers",
    "after_election_in_exclusion": "After an election during an exclusion",
    "exclude_first": "Excluded before the count",
    "arithmetic": "Arithmetic",
    "places": "Decimal places",
    "tie_history": "Ties first broken by earlier stages",
    "tie_fallback": "Ties otherwise broken",
    "tie_order": "Order for ties given in advance",
    "decisions": "Returning officer's decisions",
    "transfer_final_surplus": "The last surplus transferred",
    "seed": "Seed for ties by lot",
    "arithmetic_description": "Arithmetic, in words",
    "constraints": "Constraints on the seats",
    "batch": "Candidates eliminated together when they cannot win",
    "rctab": "RCTab's conventions",
    "continue_until_two": "Rounds continue until two candidates remain",
    "threshold": "Threshold",
    "overvote": "A preference shared by several candidates",
    "skipped_ranks": "Skipped ranks allowed before a paper exhausts",
    "duplicates": "A candidate ranked again on one paper",
}


def option_in_words(key: str) -> str:
    return OPTION_WORDS.get(key, key.replace("_", " ").strip().capitalize())


def seats_won(record: CountRecord) -> dict[str, int] | None:
    """Seats per party, for a party-list count (its record's ``seats``), else None."""
    seats = record.extra.get("seats")
    if (
        isinstance(seats, Mapping)
        and seats
        and all(isinstance(v, int) and not isinstance(v, bool) for v in seats.values())
    ):
        return {str(k): int(v) for k, v in seats.items()}
    return None


def elected_in_words(record: CountRecord) -> str:
    """Who was elected: the names in order, or for a party list each party's seats."""
    won = seats_won(record)
    if won is not None:
        ranked = sorted(((p, k) for p, k in won.items() if k), key=lambda x: -x[1])
        return _join([f"{p} {k} seat{'s' if k != 1 else ''}" for p, k in ranked]) or "nobody"
    return _join(list(record.elected)) or "nobody"
