"""The result sheet, as returning officers publish it: a column per stage.

Each stage column shows the transfer at that stage (signed) above the candidate's total.
Wide counts are split into blocks of stages so that the sheet reads at 80 columns.
"""

from __future__ import annotations

from fractions import Fraction

from tallyroom.numbers import format_decimal
from tallyroom.record import CountRecord

WIDTH = 80


def _fmt(x: Fraction | None, places: int) -> str:
    if x is None:
        return ""
    return format_decimal(x, places)


def _signed(x: Fraction, places: int) -> str:
    if x == 0:
        return ""
    s = format_decimal(x, places)
    return s if s.startswith("-") else "+" + s


def _papers(x: Fraction) -> str:
    return str(x.numerator) if Fraction(x).denominator == 1 else format_decimal(x, 5)


def sheet(record: CountRecord, width: int = WIDTH) -> str:
    places = record.display_places
    out: list[str] = []
    title = f"{record.title} — {record.source}" if record.source else record.title
    out.append(title)
    out.append("=" * min(len(title), width))
    out.append(f"Rule:         {record.method} ({record.rule_text})")
    out.append(f"Seats:        {record.seats}")
    out.append(f"Ballots read: {_papers(record.ballots_read)}")
    out.append(f"Valid poll:   {_papers(record.valid)}")
    for reason, n in record.invalid.items():
        out.append(f"Invalid:      {_papers(n)} ({reason})")
    if record.withdrawn:
        out.append(f"Withdrawn:    {', '.join(record.withdrawn)}")
    if record.quota is not None:
        out.append(f"Quota:        {_fmt(record.quota, places)}")
    out.append("")

    stages = list(record.stages)
    if stages and stages[0].totals:
        out.extend(_stage_table(record, width))
    out.append("")
    out.append("Elected, in order:")
    stage_of = {n: s.number for s in stages for n in s.elected}
    for k, name in enumerate(record.elected, 1):
        at = f" (stage {stage_of[name]})" if name in stage_of else ""
        out.append(f"  {k}. {name}{at}")
    if record.ties:
        out.append("")
        out.append("Ties:")
        for t in record.ties:
            out.append(
                f"  Stage {t.stage}: {', '.join(t.tied)} were tied for {t.purpose}; "
                f"{t.chosen} was chosen {t.method}"
                + (f" — {t.evidence}" if t.evidence else "")
                + "."
            )
    for note in record.notes:
        out.append(f"Note: {note}")
    return "\n".join(out) + "\n"


def _stage_table(record: CountRecord, width: int) -> list[str]:
    places = record.display_places
    stages = list(record.stages)
    names = list(record.candidates)
    label_w = min(max(len(n) for n in names + ["Non-transferable", "Rounding loss"]), 32)

    def cell_w(s) -> int:  # noqa: ANN001
        vals = [_fmt(v, places) for v in s.totals.values()] + [
            _signed(v, places) for v in s.transfers.values()
        ]
        return max(max((len(v) for v in vals), default=1), len(f"Stage {s.number}")) + 3

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

    out: list[str] = []
    out.append("Stages:")
    for s in stages:
        tv = ""
        if s.transfer_value is not None and s.action == "surplus":
            tv = f" (transfer value {format_decimal(s.transfer_value, places)})"
        out.append(f"  {s.number}. {s.description or s.action}{tv}")
    for block in blocks:
        out.append("")
        head = "".ljust(label_w) + "".join(
            f"Stage {stages[i].number} ".rjust(widths[i]) for i in block
        )
        out.append(head)
        out.append("-" * len(head))
        for n in names:
            label = n if len(n) <= label_w else n[: label_w - 1] + "…"
            line1 = label.ljust(label_w)
            line2 = "".ljust(label_w)
            has_transfer = False
            for i in block:
                s = stages[i]
                mark = "*" if n in s.elected else " "
                t = _signed(s.transfers.get(n, Fraction(0)), places) if i > 0 else ""
                has_transfer = has_transfer or bool(t)
                line1 += (t + " ").rjust(widths[i])
                line2 += (_fmt(s.totals.get(n, Fraction(0)), places) + mark).rjust(widths[i])
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
        out.append(ex)
        out.append(loss)
    out.append("")
    out.append("* elected at that stage")
    return out
