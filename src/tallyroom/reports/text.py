"""The result sheet, as returning officers publish it: a column per stage.

Each stage column shows the transfer at that stage (signed) above the candidate's total.
Wide counts are split into blocks of stages so that the sheet reads at 80 columns.
"""

from __future__ import annotations

import textwrap
from fractions import Fraction

from tallyroom.errors import printable
from tallyroom.numbers import format_decimal
from tallyroom.record import CountRecord, TieBreak

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


def sheet(record: CountRecord, width: int = WIDTH) -> str:
    places = record.display_places
    out: list[str] = []
    title = f"{record.title} — {record.source}" if record.source else record.title
    title_lines = textwrap.wrap(title, width=width, break_on_hyphens=False) or [title]
    out.extend(title_lines)
    out.append("=" * min(max(len(t) for t in title_lines), width))
    out.extend(_wrap("Rule:", f"{record.method} ({record.rule_text})", width))
    out.append(f"Seats:        {record.seats}")
    out.append(f"Ballots read: {_papers(record.ballots_read)}")
    out.append(f"Valid poll:   {_papers(record.valid)}")
    for reason, n in record.invalid.items():
        out.extend(_wrap("Invalid:", f"{_papers(n)} ({reason})", width))
    if record.withdrawn:
        out.extend(_wrap("Withdrawn:", ", ".join(record.withdrawn), width))
    if record.quota is not None:
        out.append(f"Quota:        {_fmt(record.quota, places)}")
    out.append("")

    stages = list(record.stages)
    if stages and stages[0].totals:
        out.extend(_stage_table(record, width))
    out.extend(_extras(record, width))
    out.append("")
    out.append("Elected, in order:")
    stage_of = {n: s.number for s in stages for n in s.elected}
    for k, name in enumerate(record.elected, 1):
        at = f" (stage {stage_of[name]})" if name in stage_of else ""
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
    places = record.display_places
    out: list[str] = []
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

    # whether a stage moved any votes: once per stage, not once per candidate and stage
    # (that made the sheet cubic in the candidates)
    moved_at = [dict(s.transfers) != dict(s.totals) for s in stages]

    out: list[str] = []
    out.append("Stages:")
    for s in stages:
        tv = ""
        if s.transfer_value is not None and s.action == "surplus":
            tv = f" (transfer value {format_decimal(s.transfer_value, places)})"
        out.extend(_wrap(f"  {s.number}.", f"{s.description or s.action}{tv}", width, indent=6))
    for block in blocks:
        out.append("")
        head = "".ljust(label_w) + "".join(
            f"Stage {stages[i].number} ".rjust(widths[i]) for i in block
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
    out.append("")
    out.append("* elected at that stage")
    return out
