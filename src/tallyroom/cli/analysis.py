"""``tallyroom compare``, ``tallyroom simulate`` and ``tallyroom demo``: the command-line
front of :mod:`tallyroom.analysis` (which is library only).

Heavy imports live inside the commands so that ``tallyroom --help`` stays fast.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from tallyroom.cli import _emit  # the package is loaded first: it registers these

DEFAULT = "block-vote,ers97-stv,meek-stv,scottish-stv,irv,fptp,snv"


def _methods(text: str) -> list[str]:
    from tallyroom.errors import TallyroomError
    from tallyroom.rules import get

    ms = [m.strip() for m in text.split(",") if m.strip()]
    for m in ms:
        try:
            get(m)
        except TallyroomError as e:
            raise click.BadParameter(str(e), param_hint="--methods") from None
    return ms


def _aliases(items: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for item in items:
        if "=" not in item:
            raise click.BadParameter(f"expected OLD=NEW, not {item!r}", param_hint="--alias")
        k, v = item.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def _json(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"


_format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "html"]),
    default="text",
    show_default=True,
    help="html: a self-contained report with charts (use with -o FILE).",
)
_output_option = click.option(
    "-o",
    "--output",
    default=None,
    type=click.Path(dir_okay=False),
    help="Write to a file instead of standard output.",
)


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--methods", "-m", default=DEFAULT, show_default=True, help="Rule ids, comma-separated."
)
@click.option(
    "--group-by",
    default="auto",
    show_default=True,
    help="Candidate attribute to group by, 'name' for 'Name (Party)', or 'candidate'.",
)
@click.option("--alias", multiple=True, help="Rename a group: OLD=NEW (repeatable), e.g. C=Con.")
@click.option("--seats", type=int, help="Override the number of seats in the file(s).")
@click.option("--each/--total-only", default=None, help="With many files: show each file too.")
@_format_option
@_output_option
def compare(
    files: tuple[str, ...],
    methods: str,
    group_by: str,
    alias: tuple[str, ...],
    seats: int | None,
    each: bool | None,
    fmt: str,
    output: str | None,
) -> None:
    """Count the same ballots under many rules: winners, seats by group, indices.

    With several FILES (e.g. every ward of a council election) the seats are also added
    up by group across all of them.
    """
    from tallyroom.analysis import compare as cmp
    from tallyroom.ballots.formats import read

    ms = _methods(methods)
    aliases = _aliases(alias)
    comps = [
        cmp.compare(read(f, seats=seats), ms, group_by=group_by, aliases=aliases) for f in files
    ]
    show_each = each if each is not None else len(comps) == 1
    total = cmp.aggregate(comps) if len(comps) > 1 else None
    if fmt == "json":
        data: dict[str, Any] = {}
        if show_each:
            data["elections"] = [c.to_dict() for c in comps]
        if total is not None:
            data["total"] = total.to_dict()
        _emit(_json(data), output)
        return
    if fmt == "html":
        from tallyroom.analysis.html import compare_report

        _emit(compare_report(comps, total, show_each), output)
        return
    parts = [cmp.render_text(c) + "\n" for c in comps] if show_each else []
    if total is not None:
        parts.append(cmp.render_aggregate_text(total, f"{len(comps)} files") + "\n")
    _emit("".join(parts), output)


@click.command()
@click.option(
    "--generator",
    "-g",
    type=click.Choice(
        ["impartial", "plackett-luce", "bradley-terry", "spatial-1d", "spatial-2d", "slate"]
    ),
    default="slate",
    show_default=True,
)
@click.option("--slates", default="A:4,B:3,C:2", show_default=True, help="NAME:SIZE,...")
@click.option("--seats", default=3, show_default=True)
@click.option("--voters", default=1000, show_default=True)
@click.option("--elections", "-n", default=100, show_default=True)
@click.option("--seed", default=0, show_default=True)
@click.option("--methods", "-m", default="block-vote,ers97-stv,meek-stv,irv", show_default=True)
@click.option("--cohesion", default=4.0, show_default=True, help="bradley-terry: slate boost.")
@click.option("--crossover", default=0.1, show_default=True, help="slate: crossover chance.")
@click.option("--length", type=int, help="Preferences per ballot (default: all).")
@_format_option
@_output_option
def simulate(
    generator: str,
    slates: str,
    seats: int,
    voters: int,
    elections: int,
    seed: int,
    methods: str,
    cohesion: float,
    crossover: float,
    length: int | None,
    fmt: str,
    output: str | None,
) -> None:
    """Many seeded synthetic elections; per rule, the distribution of seats by slate."""
    from tallyroom.analysis import simulate as sim

    parts = []
    for item in slates.split(","):
        name, _, size = item.partition(":")
        parts.append((name.strip(), int(size or 1)))
    election = sim.slate_election(parts, seats)
    result = sim.simulate(
        generator,
        election,
        voters,
        elections,
        _methods(methods),
        seed=seed,
        group_by="slate",
        cohesion=cohesion,
        crossover=crossover,
        lengths=length,
    )
    if fmt == "json":
        _emit(_json(result.to_dict()), output)
    elif fmt == "html":
        from tallyroom.analysis.html import simulate_report

        _emit(simulate_report(result), output)
    else:
        _emit(sim.render_text(result) + "\n", output)


@click.command()
@click.argument("name", type=click.Choice(["nec2016"]))
@click.option("--reconstructions", "-n", default=200, show_default=True)
@click.option("--seed", default=2016, show_default=True)
@_format_option
@_output_option
def demo(name: str, reconstructions: int, seed: int, fmt: str, output: str | None) -> None:
    """Worked demonstrations.  nec2016: Labour's 2016 NEC block vote, reconstructed."""
    from tallyroom.analysis import nec2016

    result = nec2016.run(nec2016.Assumptions(reconstructions=reconstructions, seed=seed))
    if fmt == "json":
        _emit(_json(result.to_dict()), output)
    elif fmt == "html":
        from tallyroom.analysis.html import demo_report

        _emit(demo_report(result), output)
    else:
        _emit(nec2016.render_text(result) + "\n", output)
    if not all(r.exact for r in result.runs):  # pragma: no cover - a bug, not a result
        sys.exit(1)


COMMANDS = [compare, simulate, demo]
