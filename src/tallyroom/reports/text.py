"""The result sheet, as returning officers publish it: a column per stage.

Each stage column shows the transfer at that stage (signed) above the candidate's total.
Wide counts are split into blocks of stages so that the sheet reads at 80 columns.
"""

from __future__ import annotations

import textwrap
from fractions import Fraction

from tallyroom.errors import printable
from tallyroom.numbers import format_decimal
from tallyroom.record import CountRecord, Stage, TieBreak

WIDTH = 80


def _fmt(x: Fraction | None, places: int) -> str:
    """A figure at ``places``; at 0 places (whole papers) a value that is not whole -- a
    threshold of half the papers -- keeps the decimals it needs."""
    if x is None:
        return ""
    f = Fraction(x)
    if places == 0 and f.denominator != 1:
        return format_decimal(f, 5).rstrip("0")
    return format_decimal(f, places)


def _signed(x: Fraction, places: int) -> str:
    if x == 0:
        return ""
    s = format_decimal(x, places)
    return s if s.startswith("-") else "+" + s


def _papers(x: Fraction) -> str:
    return str(x.numerator) if Fraction(x).denominator == 1 else format_decimal(x, 5)


def _wrap(label: str, text: str, width: int, indent: int = 14) -> list[str]:
    """``label`` then ``text``, wrapped to ``width`` with continuation lines indented."""
    first = label.ljust(indent) if label else " " * indent
    return textwrap.wrap(
        text,
        width=width,
        initial_indent=first,
        subsequent_indent=" " * indent,
        break_long_words=True,
        break_on_hyphens=False,
    ) or [first.rstrip()]


_PURPOSE = {
    "exclusion": ("for exclusion, with the fewest votes", "{chosen} was excluded"),
    "order of surpluses": (
        "with equal surpluses, so the order of their transfer had to be decided",
        "{chosen}'s surplus was transferred first",
    ),
    "order of election": (
        "with equal votes, so the order of their election had to be decided",
        "{chosen} was taken as elected first",
    ),
    "last seat": ("for the last seat", "{chosen} took the last seat"),
}


def _how(method: str) -> str:
    m = method.strip()
    if m.startswith("votes at an earlier stage"):
        if "forward" in m:
            return "by their votes at the first stage at which they differed"
        return "by their votes at the latest earlier stage at which they differed"
    plain = {
        "by lot": "by lot",
        "lot": "by lot",
        "given order": "by the order of candidates given before the count",
        "returning officer's decision": "by the returning officer's decision",
    }
    if m in plain:
        return plain[m]
    return m if m.startswith("by ") else f"by {m}"


def _names(names: tuple[str, ...] | list[str]) -> str:
    names = list(names)
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def tie_in_words(t: TieBreak) -> str:
    """A tie and how it was broken, in plain words (shared by the text and HTML reports)."""
    tied_as, outcome = _PURPOSE.get(t.purpose, (f"for {t.purpose}", "{chosen} was chosen"))
    sentence = (
        f"At stage {t.stage}, {_names(t.tied)} were tied {tied_as}. "
        f"{outcome.format(chosen=t.chosen)}, decided {_how(t.method)}"
    )
    if t.evidence:
        sentence += f": {t.evidence}"
    return sentence + "."


def _places(record: CountRecord) -> int:
    """Decimals shown: the rule's own; whole papers (an exact count whose figures are all
    whole, as in IRV rounds) as whole numbers."""
    from tallyroom.reports.html.words import figure_places

    return record.places if record.places is not None else min(figure_places(record), 5)


def _declaration(record: CountRecord, width: int) -> list[str]:
    """Each candidate's votes, share, result and stage, in ballot order (as official
    declarations list them)."""
    from tallyroom.reports.html.tables import first_votes
    from tallyroom.reports.html.words import fmt, is_rounds, percent, seats_won, stage_word

    places = _places(record)
    label, votes = first_votes(record)
    at: dict[str, tuple[str, int]] = {}
    for s in record.stages:
        for n in s.elected:
            at.setdefault(n, ("elected", s.number))
        for n in s.excluded:
            at.setdefault(n, ("eliminated" if is_rounds(record) else "excluded", s.number))
    passed = {e.candidate for s in record.stages for e in s.events if e.kind == "passed over"}
    total = sum(votes.values(), Fraction(0))
    several = any(
        isinstance(s.extra.get("votes_per_voter"), int) and s.extra["votes_per_voter"] > 1
        for s in record.stages
    )
    if several:
        total = Fraction(record.valid)
    word = stage_word(record)
    won = seats_won(record)
    rows = []
    for n in record.candidates:
        if n in record.withdrawn:
            result, number = "withdrawn", ""
        elif n in at:
            result, number = at[n][0], str(at[n][1])
        elif n in record.elected:
            result, number = "elected", ""
        else:
            result, number = ("passed over" if n in passed else "not elected"), ""
        if won is not None:
            result, number = ("elected" if won.get(n) else "no seat"), str(won.get(n, 0))
        v = votes.get(n)
        rows.append(
            (
                n,
                fmt(v, places) if v is not None else "",
                percent(v, total) if v is not None else "",
                result,
                number,
            )
        )
    multi = sum(1 for s in record.stages if s.totals) > 1
    heads = (
        "Party" if won is not None else "Candidate",
        (label or "Votes") if votes else "",
        ("Share of papers" if several else "Share") if votes else "",
        "Result",
        "Seats" if won is not None else (word.capitalize() if multi else ""),
    )
    widths = [max(len(r[k]) for r in [heads, *rows]) for k in range(5)]
    fixed = sum(widths[1:]) + 8
    name_w = max(len(heads[0]), min(widths[0], width - fixed))
    out = []
    for k, r in enumerate([heads, *rows]):
        name = r[0]
        if len(name) > name_w:
            out.extend(textwrap.wrap(name, width=width, break_on_hyphens=False))
            name = ""
        line = (
            name.ljust(name_w)
            + "  "
            + r[1].rjust(widths[1])
            + "  "
            + r[2].rjust(widths[2])
            + "  "
            + r[3].ljust(widths[3])
            + "  "
            + r[4].rjust(widths[4])
        )
        out.append(line.rstrip())
        if k == 0:
            out.append("-" * min(len(line.rstrip()), width))
    return out


def sheet(record: CountRecord, width: int = WIDTH) -> str:
    from tallyroom.reports.html.words import (
        below_quota_in_words,
        elected_in_words,
        election_details,
        election_name,
        final_round_in_words,
        is_rounds,
    )

    places = _places(record)
    out: list[str] = []
    title = election_name(record)
    title_lines = textwrap.wrap(title, width=width, break_on_hyphens=False) or [title]
    out.extend(title_lines)
    out.append("=" * min(max(len(t) for t in title_lines), width))
    details = election_details(record)
    if details:
        out.extend(textwrap.wrap(details, width=width) or [details])
    out.append("")
    out.append("Declaration of result")
    out.extend(_wrap("Elected:", elected_in_words(record), width))
    out.extend(_wrap("Rule:", f"{record.method} ({record.title}; {record.rule_text})", width))
    out.append(f"Seats:        {record.seats}")
    out.append(f"Ballots read: {_papers(record.ballots_read)}")
    out.append(f"Valid poll:   {_papers(record.valid)}")
    rejected = sum((Fraction(v) for v in record.invalid.values()), Fraction(0))
    out.append(f"Rejected:     {_papers(rejected)}")
    for reason, n in record.invalid.items():
        out.extend(_wrap("  rejected:", f"{_papers(n)} ({reason})", width))
    if record.withdrawn:
        out.extend(_wrap("Withdrawn:", ", ".join(record.withdrawn), width))
    if record.quota is not None:
        out.append(f"Quota:        {_fmt(record.quota, places)}")
    elif is_rounds(record) and record.stages[0].quota is not None:
        first, last = record.stages[0].quota, record.stages[-1].quota
        text = f"{_fmt(first, places)} in round 1"
        if last is not None and last != first:
            text += f", {_fmt(last, places)} in the final round"
        out.extend(
            _wrap("Majority threshold:", text + " (a majority of the continuing votes)", width, 20)
        )
    out.append("")
    out.extend(_declaration(record, width))
    sentences = below_quota_in_words(record, places)
    final = final_round_in_words(record, places)
    if final:
        sentences.append(final)
    for sentence in sentences:
        out.append("")
        out.extend(textwrap.wrap(sentence, width=width, break_on_hyphens=False))
    out.append("")

    stages = list(record.stages)
    if stages and stages[0].totals:
        out.extend(_stage_table(record, width))
    out.extend(_extras(record, width))
    out.append("")
    out.append("Elected, in order:")
    why = record.election_reasons()
    word = "round" if is_rounds(record) else "stage"
    for k, name in enumerate(record.elected, 1):
        at = ""
        if name in why:
            at = f" ({word} {why[name][0]})" + (f": {why[name][1]}" if why[name][1] else "")
        out.extend(_wrap(f"  {k}.", f"{name}{at}", width, indent=6))
    # events other than elections, exclusions and withdrawals: group quotas (guarded,
    # doomed, passed over), deferred surpluses, ...
    others = [
        (s.number, e)
        for s in stages
        for e in s.events
        if e.kind not in ("elected", "excluded", "withdrawn")
    ]
    if others:
        out.append("")
        out.append("Other decisions:")
        for number, e in others:
            reason = f": {e.reason}" if e.reason else ""
            out.extend(
                _wrap("  -", f"Stage {number}: {e.candidate} {e.kind}{reason}.", width, indent=4)
            )
    if record.ties:
        out.append("")
        out.append("Ties:")
        for t in record.ties:
            out.extend(_wrap("  -", tie_in_words(t), width, indent=4))
    for note in record.notes:
        out.extend(_wrap("Note:", note, width, indent=6))
    if record.source or record.source_sha256 or record.election_file or record.preset:
        out.append("")
        if record.source:
            out.extend(_wrap("Ballot file:", record.source, width))
        if record.source_sha256:
            out.extend(_wrap("SHA-256:", record.source_sha256, width))
        if record.election_file:
            out.extend(_wrap("Election file:", record.election_file, width, indent=15))
            out.extend(_wrap("SHA-256:", record.election_file_sha256, width, indent=15))
        if record.preset:
            out.extend(_wrap("Preset:", record.preset, width))
    # a file name (or anything else from the input) with a bidi override or an ESC in it
    # must not reorder or recolour what a reader sees: shown escaped, as in messages
    return "\n".join(printable(line) for line in out) + "\n"


def _value(v: object, places: int) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int | Fraction):
        f = Fraction(v)
        return str(f.numerator) if f.denominator == 1 else format_decimal(f, places)
    if isinstance(v, list | tuple):
        return ", ".join(_value(x, places) for x in v)
    return str(v)


def _extras(record: CountRecord, width: int) -> list[str]:
    """What a stage records beyond its totals (a block vote's scores, a committee's
    steps): name-to-value tables and single values; a matrix is left to JSON and HTML."""
    places = _places(record)
    out: list[str] = []
    for key, value in record.extra.items():
        # seats per party and constituency: a line per constituency
        if (
            key != "seats"
            and hasattr(value, "items")
            and value
            and all(hasattr(v, "items") for v in value.values())
        ):
            out.append("")
            out.append(key.replace("_", " ").capitalize() + ":")
            for row, inner in value.items():
                won = sum(v for v in inner.values() if isinstance(v, int))
                items = ", ".join(f"{k} {_value(v, places)}" for k, v in inner.items())
                out.extend(_wrap("", f"{row} ({won}): {items}", width, indent=2))
    for s in record.stages:
        if s.totals:
            continue
        for key, value in s.extra.items():
            title = key.replace("_", " ").capitalize()
            if hasattr(value, "items") and all(not hasattr(v, "items") for v in value.values()):
                rows = [(str(k), _value(v, places)) for k, v in value.items()]
                if not rows:
                    continue
                vw = max(len(v) for _, v in rows)
                lw = min(max(len(k) for k, _ in rows), max(10, width - vw - 4))
                out.append("")
                out.append(f"{title} (stage {s.number}):")
                for k, v in rows:
                    mark = " *" if k in record.elected else ""
                    if len(k) > lw:
                        out.extend("  " + line for line in textwrap.wrap(k, width - 2))
                        k = ""
                    out.append(f"  {k.ljust(lw)} {v.rjust(vw)}{mark}")
                if any(k in record.elected for k, _ in rows):
                    out.append("  * elected")
            elif not hasattr(value, "items") and not isinstance(value, list | tuple):
                out.extend(textwrap.wrap(f"{title}: {_value(value, places)}", width) or [""])
    return out


def _stage_table(record: CountRecord, width: int) -> list[str]:
    from tallyroom.reports.html.words import is_rounds, stage_name

    places = _places(record)
    rounds = is_rounds(record)
    word = "Round" if rounds else "Stage"
    stages = list(record.stages)
    names = list(record.candidates)
    label_w = min(max(len(n) for n in names + ["Non-transferable", "Rounding loss"]), 32)

    def cell_w(s: Stage) -> int:
        vals = [_fmt(v, places) for v in s.totals.values()] + [
            _signed(v, places) for v in s.transfers.values()
        ]
        return max(max((len(v) for v in vals), default=1), len(f"{word} {s.number}")) + 3

    widths = [cell_w(s) for s in stages]
    blocks: list[list[int]] = []
    cur: list[int] = []
    used = label_w
    for i, w in enumerate(widths):
        if cur and used + w > width:
            blocks.append(cur)
            cur, used = [], label_w
        cur.append(i)
        used += w
    if cur:
        blocks.append(cur)

    # whether a stage moved any votes: once per stage, not once per candidate and stage
    # (that made the sheet cubic in the candidates)
    moved_at = [dict(s.transfers) != dict(s.totals) for s in stages]

    out: list[str] = []
    out.append(f"{word}s:")
    for s in stages:
        tv = ""
        if s.transfer_value is not None and s.action == "surplus":
            tv = f" (transfer value {format_decimal(s.transfer_value, places)})"
        out.extend(_wrap(f"  {s.number}.", f"{stage_name(record, s)}{tv}", width, indent=6))
    for block in blocks:
        out.append("")
        head = "".ljust(label_w) + "".join(
            f"{word} {stages[i].number} ".rjust(widths[i]) for i in block
        )
        head = head.rstrip()
        out.append(head)
        out.append("-" * len(head))
        for n in names:
            # a name too long for the label column gets a line of its own, never cut short
            long_name = len(n) > label_w
            if long_name:
                out.extend(textwrap.wrap(n, width=width, break_on_hyphens=False))
            label = "" if long_name else n
            line1 = label.ljust(label_w)
            line2 = "".ljust(label_w)
            has_transfer = False
            for i in block:
                s = stages[i]
                mark = "*" if n in s.elected else " "
                t = _signed(s.transfers.get(n, Fraction(0)), places) if moved_at[i] else ""
                has_transfer = has_transfer or bool(t)
                line1 += (t + " ").rjust(widths[i])
                total = _fmt(s.totals[n], places) + mark if n in s.totals else " "
                line2 += total.rjust(widths[i])
            if has_transfer:
                out.append(line1.rstrip())
                out.append(line2.rstrip())
            else:
                out.append(label.ljust(label_w) + line2[label_w:].rstrip())
        ex = "Non-transferable".ljust(label_w) + "".join(
            (_fmt(stages[i].exhausted, places) + " ").rjust(widths[i]) for i in block
        )
        loss = "Rounding loss".ljust(label_w) + "".join(
            (_fmt(stages[i].loss, places) + " ").rjust(widths[i]) for i in block
        )
        out.append("-" * len(head))
        out.append(ex.rstrip())
        out.append(loss.rstrip())
    if any(s.quota is not None for s in stages) and record.quota is None:
        # a threshold that moves from round to round (IRV: half the continuing votes)
        label = "Threshold" if rounds else "Quota"
        out.append("")
        out.append(f"{label} at each {word.lower()}:")
        items = [f"{s.number}: {_fmt(s.quota, places)}" for s in stages if s.quota is not None]
        out.extend(
            textwrap.wrap(
                "; ".join(items), width=width, initial_indent="  ", subsequent_indent="  "
            )
        )
    out.append("")
    out.append(f"* elected at that {word.lower()}")
    return out
