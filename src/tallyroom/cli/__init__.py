"""The ``tallyroom`` command: thin, it parses arguments, calls the library and prints.

Errors the user can fix are printed on one line (file, line, column, what was found and
what was expected) with exit status 2; they never show a traceback.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

import click

from tallyroom import __version__
from tallyroom.errors import DecisionNeeded, TallyroomError

BALLOT_OPTIONS = [
    click.option(
        "--overvote",
        type=click.Choice(["exhaust", "skip", "exhaust-if-multiple-continuing"]),
        default="exhaust",
        show_default=True,
        help="A preference shared by several candidates: exhaust the paper there, skip that preference, or (irv) exhaust only if two or more of them are still continuing.",
    ),
    click.option(
        "--skipped-ranks",
        type=click.IntRange(min=0),
        default=None,
        help="How many consecutive skipped ranks a paper may have before it exhausts (default: any).",
    ),
    click.option(
        "--duplicates",
        type=click.Choice(["skip", "exhaust"]),
        default="skip",
        show_default=True,
        help="A candidate ranked again on the same paper: skip the repeat, or exhaust the paper.",
    ),
    click.option(
        "--input-format",
        "input_format",
        default=None,
        help="Ballot file format (default: from the extension or content).",
    ),
    click.option(
        "--seats",
        type=click.IntRange(min=1),
        default=None,
        help="Seats to fill (overrides the file).",
    ),
    click.option(
        "--contest",
        default=None,
        metavar="NAME",
        help="The contest to read from a cast-vote-record file of several (its name or id).",
    ),
]


def ballot_options(f):  # type: ignore[no-untyped-def]
    for opt in reversed(BALLOT_OPTIONS):
        f = opt(f)
    return f


def _rules(overvote: str, skipped_ranks: int | None, duplicates: str):  # type: ignore[no-untyped-def]
    from tallyroom.ballots.model import BallotRules

    return BallotRules(overvote=overvote, skipped_ranks=skipped_ranks, duplicates=duplicates)  # type: ignore[arg-type]


def _read(  # type: ignore[no-untyped-def]
    path: str,
    fmt: str | None,
    rules: Any,
    seats: int | None,
    contest: str | None = None,
    progress: Any = None,
):
    from tallyroom.ballots.formats import read

    # this process is ours: a big file's fast reader may tune the allocator for its arrays
    return read(
        path,
        fmt,
        rules=rules,
        seats=seats,
        contest=contest,
        progress=progress,
        own_process=True,
    )


def _emit(text: str, output: str | None) -> None:
    if output:
        with open(output, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        click.echo(text, nl=False)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="tallyroom")
def cli() -> None:
    """Count elections exactly, under the rule your rule book names."""


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "jsonl"]),
    default="text",
    show_default=True,
)
@ballot_options
def inspect(
    files: Sequence[str],
    fmt: str,
    overvote: str,
    skipped_ranks: int | None,
    duplicates: str,
    input_format: str | None,
    seats: int | None,
    contest: str | None,
) -> None:
    """What a ballot file holds: candidates, seats, papers valid and invalid, first preferences."""
    from tallyroom.ballots.inspect import summary, summary_text

    rules = _rules(overvote, skipped_ranks, duplicates)
    summaries = []
    for path in files:
        profile = _read(path, input_format, rules, seats, contest)
        summaries.append(summary(profile, source=path))
    if fmt == "jsonl":
        for s in summaries:
            click.echo(json.dumps(s, ensure_ascii=False))
    elif fmt == "json":
        click.echo(
            json.dumps(
                summaries[0] if len(summaries) == 1 else summaries, indent=2, ensure_ascii=False
            )
        )
    else:
        click.echo("\n".join(summary_text(s) for s in summaries), nl=False)


@cli.command()
@click.argument("files", nargs=-1, required=False, type=click.Path())
@click.option(
    "--method", "-m", "method", default=None, help="Counting rule id (see `tallyroom methods`)."
)
@click.option(
    "--preset",
    "preset_name",
    default=None,
    metavar="NAME",
    help="Count as a named preset does: its rule, options and ballot rules (see "
    "`tallyroom methods`); --option and the ballot options given change its values.",
)
@click.option(
    "--rctab-config",
    "rctab_config",
    default=None,
    type=click.Path(dir_okay=False),
    metavar="CONFIG.json",
    help="Count as an RCTab contest configuration says (its CVR sources, candidates and "
    "rules; RCTab's tie-break draws replayed); no FILES or --method with it.",
)
@click.option(
    "--rctab-parts",
    "rctab_parts",
    default=None,
    type=click.Path(file_okay=False),
    metavar="DIR",
    help="With --rctab-config and --format rctab-json or rctab-csv, and a config that "
    "tabulates by precinct or batch: write RCTab's report of each precinct (batch) in "
    "DIR/Tabulate by Precinct (Batch)/NAME_precinct_detailed_report.json (.csv).",
)
@click.option(
    "--seed",
    type=int,
    default=1,
    show_default=True,
    help="Seed for ties broken by lot (recorded in the result).",
)
@click.option(
    "--withdraw",
    multiple=True,
    metavar="NAME",
    help="Withdraw a candidate before the count (repeatable).",
)
@click.option(
    "--countback",
    metavar="NAME",
    default=None,
    help="Fill the vacancy left by NAME by re-running the count without them.",
)
@click.option(
    "--tie-break",
    "tie_fallback",
    type=click.Choice(["lot", "order", "decision"]),
    default=None,
    help="Last resort for ties (default: the rule's own).",
)
@click.option(
    "--tie-order",
    default=None,
    metavar="A,B,...",
    help="Candidate order for --tie-break order, most favoured first.",
)
@click.option(
    "--decision",
    "decisions",
    multiple=True,
    metavar="NAME",
    help="The returning officer's choice for each tie decided by --tie-break decision, in order.",
)
@click.option(
    "--option",
    "rule_options",
    multiple=True,
    metavar="KEY=VALUE",
    help="Change one of the rule's options (advanced; recorded in the result).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(
        ["text", "json", "jsonl", "csv", "html", "pdf", "xlsx", "rctab-json", "rctab-csv"]
    ),
    default="text",
    show_default=True,
    help="html: the report to pin up; pdf: the A4 sheet (tallyroom[pdf]); xlsx: the "
    "stage sheet for a spreadsheet (these three go to a file, -o FILE); rctab-json, "
    "rctab-csv: RCTab's detailed report layouts.",
)
@click.option(
    "-o",
    "--output",
    default=None,
    type=click.Path(dir_okay=False),
    help="Write to a file instead of standard output.",
)
@click.option(
    "--title",
    default=None,
    metavar="TEXT",
    help="The election's name on every sheet, where the file gives none (a spreadsheet of "
    "cast-vote records) or another.",
)
@click.option(
    "--audit",
    "audit_dir",
    default=None,
    type=click.Path(file_okay=False),
    metavar="DIR",
    help="Write an audit bundle (normalised ballots as BLT, options and seed, result JSON, "
    "SHA-256 of each file) to DIR; one subfolder per file when several are counted.",
)
@click.option(
    "--candidates",
    "candidates_file",
    default=None,
    type=click.Path(dir_okay=False, exists=True),
    metavar="FILE",
    help="CSV of candidates' attributes: a name column and one column per attribute "
    "(gender, region, slate ...).",
)
@click.option(
    "--constraint",
    "constraint_specs",
    multiple=True,
    metavar="SPEC",
    help="Seats per group, e.g. gender=woman:min=3 or region=north:min=1:max=2 (repeatable; "
    "see docs/constraints.md).",
)
@click.option(
    "--constraints",
    "constraints_file",
    default=None,
    type=click.Path(dir_okay=False, exists=True),
    metavar="FILE",
    help="Constraints from a CSV or TOML file (see docs/constraints.md).",
)
@click.option(
    "--dask",
    "dask_address",
    default=None,
    metavar="ADDRESS",
    help="Read FILES (Parquet or BLT shards; globs allowed) as one sharded ballot set with "
    "Dask: a scheduler address such as tcp://host:8786, or 'local' for a local cluster "
    "(see docs/performance.md).",
)
@ballot_options
def count(
    files: Sequence[str],
    method: str,
    seed: int,
    withdraw: Sequence[str],
    countback: str | None,
    tie_fallback: str | None,
    tie_order: str | None,
    decisions: Sequence[str],
    rule_options: Sequence[str],
    fmt: str,
    output: str | None,
    title: str | None,
    audit_dir: str | None,
    candidates_file: str | None,
    constraint_specs: Sequence[str],
    constraints_file: str | None,
    overvote: str,
    skipped_ranks: int | None,
    duplicates: str,
    input_format: str | None,
    seats: int | None,
    contest: str | None = None,
    dask_address: str | None = None,
    rctab_config: str | None = None,
    preset_name: str | None = None,
    rctab_parts: str | None = None,
) -> None:
    """Count one or more ballot files under a rule; one result per file.

    FILES may instead be election files (ELECTION.toml, docs/election-file.md): each names
    its ballot file, rule or preset, seats, options and title, and is kept with the result.
    """
    from tallyroom.ballots.candidates_file import read_candidates_file
    from tallyroom.reports import render
    from tallyroom.rules import get
    from tallyroom.rules.lists import count_vote_table, vote_table_at
    from tallyroom.rules.request import CountRequest, TieRules, run_count

    if rctab_config is not None:
        if files or method:
            raise click.UsageError("--rctab-config names the CVRs and the rules: no FILES or -m")
        from tallyroom.rctab import count_config, load_config

        contest_config = load_config(rctab_config)
        for note in contest_config.notes:
            click.echo(f"note: {note}", err=True)
        record = count_config(contest_config, decisions)
        if rctab_parts is not None:
            _write_rctab_parts(contest_config, record, fmt, rctab_parts, decisions)
        _emit(render([record], fmt), output)
        return
    if rctab_parts is not None:
        raise click.UsageError("--rctab-parts goes with --rctab-config")
    elections = _election_files(files)
    if elections:
        _refuse_beside_election_files()
    elif preset_name:
        if method:
            raise click.UsageError("--preset names the rule: no --method with it")
    elif not files or not method:
        raise click.UsageError(
            "give the ballot FILES and --method (or --preset, an ELECTION.toml, or --rctab-config)"
        )
    if fmt in ("html", "pdf", "xlsx") and not output and _stdout_is_terminal():
        what = (
            "an HTML report is a file of several megabytes"
            if fmt == "html"
            else (f"a {fmt.upper()} file is not text")
        )
        raise click.UsageError(
            f"{what}: write it with -o FILE.{fmt} (or redirect the output to a file)"
        )
    _refuse_output_onto_input(output, [*files, *(e.ballots for e in elections)])
    rules = _rules(overvote, skipped_ranks, duplicates)
    preset_opts: dict[str, Any] = {}
    if preset_name:
        from tallyroom.rules.election_file import preset_request

        method, preset_opts, rules = preset_request(
            preset_name,
            ballot_rules={k: v for k, v in rules.describe().items() if _given(k)},
        )
    rule = get(method) if not elections else None
    constraints = []
    if constraint_specs or constraints_file:
        from tallyroom.rules.constraints import parse_constraint, read_constraints_file

        constraints = [parse_constraint(c) for c in constraint_specs]
        if constraints_file:
            constraints += read_constraints_file(constraints_file)
    rule_opts = {**preset_opts, **rule.parse_options(rule_options)} if rule else {}
    request = CountRequest(
        rule.id if rule else "",
        options=rule_opts,
        ties=TieRules(
            seed=seed,
            fallback=tie_fallback,  # type: ignore[arg-type]
            order=tuple(n.strip() for n in tie_order.split(",")) if tie_order else (),
            decisions=tuple(decisions),
        ),
        withdrawn=tuple(withdraw),
        attributes=read_candidates_file(candidates_file) if candidates_file else {},
        attributes_from=candidates_file or "",
        constraints=tuple(constraints),
        countback=countback,
        title=_title(title),
        ballot_rules=rules,
        preset=preset_name or "",
    )
    records = []
    party_of: dict[str, str] = {}
    sharded = dask_address is not None
    # with --dask all the files are one sharded ballot set: one profile, one count
    folder = ""  # where the files an option names are (an election file's folder)
    for k, path in enumerate(files[:1] if sharded else files):
        election = elections[k] if elections else None
        if election is not None:
            # the election file says it all: its ballot file, read as it says
            path, input_format, seats, contest = (
                election.ballots,
                election.input_format,
                election.seats,
                election.contest,
            )
            request, rules, rule = (
                election.request,
                election.ballot_rules,
                get(election.request.method),
            )
            rule_opts = dict(request.options)
            folder = election.folder
        assert rule is not None
        table = None if sharded else vote_table_at(path, input_format)
        if table is not None:  # a party-list table of several constituencies
            counted = count_vote_table(
                table, rule.id, seats, {**request.ties.options(), **rule_opts}, folder=folder
            )
            records.append(request.stamp(counted))
            continue
        bar = _Progress("reading")
        if sharded:
            from tallyroom.ballots.sharded import read_sharded

            profile = read_sharded(
                list(files),
                address=dask_address,
                seats=seats,
                rules=rules,
                progress=bar,
                own_process=True,  # the shards are merged here, in big arrays
            )
        else:
            profile = _read(path, input_format, rules, seats, contest, progress=bar)
        bar.done()
        if election is not None:
            election.check(profile)
        profile = request.prepare(profile)
        for c in profile.election.candidates:
            if c.attributes.get("party"):
                party_of[c.name] = c.attributes["party"]
        bar = _Progress(f"counting {profile.unique:,} unique ballots")
        records.append(run_count(profile, request))
        bar.done()
        if audit_dir:
            from tallyroom.audit import bundle_dirs, write_bundle

            where = bundle_dirs(audit_dir, files)[len(records) - 1]
            write_bundle(where, profile, records[-1], request)
    if fmt in ("pdf", "xlsx"):
        if fmt == "pdf":
            from tallyroom.reports.pdf import pdf

            data = pdf(records, party_of=party_of)
        else:
            from tallyroom.reports.xlsx import workbook

            data = workbook(records)
        if output:
            with open(output, "wb") as f:
                f.write(data)
        else:
            sys.stdout.buffer.write(data)
        return
    _emit(render(records, fmt, party_of=party_of), output)


def _election_files(files: Sequence[str]) -> list[Any]:
    """The election files among FILES, read and checked (all of them, or none: a TOML file
    beside ballot files is refused)."""
    toml = [f for f in files if f.lower().endswith(".toml")]
    if not toml:
        return []
    if len(toml) != len(files):
        raise click.UsageError(
            "give election files (.toml) or ballot files, not both: an election file names "
            "its own ballot file"
        )
    from tallyroom.rules.election_file import load_election

    return [load_election(f) for f in toml]


#: what an election file decides: given beside one, each would change the count it records
_DECIDED_BY_ELECTION_FILE = (
    "method",
    "preset_name",
    "seed",
    "withdraw",
    "countback",
    "tie_fallback",
    "tie_order",
    "decisions",
    "rule_options",
    "title",
    "candidates_file",
    "constraint_specs",
    "constraints_file",
    "overvote",
    "skipped_ranks",
    "duplicates",
    "input_format",
    "seats",
    "contest",
    "dask_address",
)


def _given(name: str) -> bool:
    """Whether the command-line option ``name`` (its parameter's name) was given."""
    from click.core import ParameterSource

    ctx = click.get_current_context()
    return ctx.get_parameter_source(name) not in (ParameterSource.DEFAULT, None)


def _refuse_beside_election_files() -> None:
    ctx = click.get_current_context()
    given = [n for n in _DECIDED_BY_ELECTION_FILE if _given(n)]
    if given:
        flags = []
        for p in ctx.command.params:
            if p.name in given and isinstance(p, click.Option):
                flags.append(max(p.opts, key=len))
        raise click.UsageError(
            f"{', '.join(flags)}: an election file says how it is counted; change the file "
            "(docs/election-file.md) rather than the command line"
        )


def _stdout_is_terminal() -> bool:
    return bool(sys.stdout.isatty())


def _title(title: str | None) -> str:
    """``--title`` as given, refused unless it is one line of printable text."""
    from tallyroom.errors import QUOTE_LIMIT, printable

    if title is None:
        return ""
    text = title.strip()
    if not text or not text.isprintable() or len(text) > QUOTE_LIMIT:
        raise click.BadParameter(
            f"{printable(title, 80)!r}: expected one line of printable text of at most "
            f"{QUOTE_LIMIT} characters",
            param_hint="--title",
        )
    return text


def _refuse_output_onto_input(output: str | None, files: Sequence[str]) -> None:
    """``-o`` naming one of the ballot files would destroy it: refuse before reading."""
    import os

    if not output or not os.path.exists(output):
        return
    for path in files:
        try:
            same = os.path.samefile(output, path)
        except OSError:
            continue
        if same:
            raise click.BadParameter(
                f"{output!r} is the ballot file being counted; writing the result there would "
                "destroy it",
                param_hint="-o/--output",
            )


class _Progress:
    """A progress line on standard error, only when it is a terminal (never in pipes/CI)."""

    def __init__(self, label: str) -> None:
        import time

        self.label = label
        self.start = time.perf_counter()
        self.on = sys.stderr.isatty()
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        if not self.on or total <= 0:
            return
        width = 30
        fill = width * done // total
        sys.stderr.write(
            f"\r{self.label} [{'#' * fill}{' ' * (width - fill)}] {100 * done // total:3d}%"
        )
        sys.stderr.flush()
        self.shown = True

    def done(self) -> None:
        import time

        seconds = time.perf_counter() - self.start
        if self.on and (self.shown or seconds > 1):
            sys.stderr.write(f"\r{self.label}: {seconds:.1f} s{' ' * 40}\n")
            sys.stderr.flush()


@cli.command()
@click.argument("source", type=click.Path())
@click.argument("target", type=click.Path(dir_okay=False))
@click.option(
    "--to", "to_format", default=None, help="Output format (default: from TARGET's extension)."
)
@click.option(
    "--rctab-config",
    "rctab_config",
    is_flag=True,
    help="SOURCE is an RCTab contest configuration: convert its sources' records one by one, "
    "as RCTab does (--to rctab-cvr: RCTab's CSV CVR; --to cdf-json: NIST CDF JSON).",
)
@ballot_options
def convert(
    source: str,
    target: str,
    to_format: str | None,
    rctab_config: bool,
    overvote: str,
    skipped_ranks: int | None,
    duplicates: str,
    input_format: str | None,
    seats: int | None,
    contest: str | None,
) -> None:
    """Convert a ballot file to another format (BLT, JSON, PrefLib, CSV)."""
    import os

    from tallyroom.ballots.formats import write
    from tallyroom.errors import BallotFileError

    if os.path.exists(target) and os.path.exists(source) and os.path.samefile(source, target):
        raise BallotFileError(target, None, None, "the source file itself", "another file to write")
    if rctab_config:
        _convert_rctab(source, target, to_format, input_format, seats, contest)
        return
    rules = _rules(overvote, skipped_ranks, duplicates)
    profile = _read(source, input_format, rules, seats, contest)
    write(profile, target, to_format)
    click.echo(
        f"wrote {target}: {profile.unique} unique ballots, {profile.valid} valid papers", err=True
    )


def _write_rctab_parts(
    contest: Any, record: Any, fmt: str, folder: str, decisions: Sequence[str]
) -> None:
    """RCTab's per-precinct and per-batch reports (``count --rctab-parts DIR``)."""
    import json
    from pathlib import Path

    from tallyroom.ballots.formats.rctab_cvr import sanitize
    from tallyroom.rctab import tabulate_parts
    from tallyroom.reports.rctab import detailed_csv, detailed_report

    if fmt not in ("rctab-json", "rctab-csv"):
        raise click.UsageError("--rctab-parts writes --format rctab-json or rctab-csv")
    parts = tabulate_parts(contest, record, decisions)
    if not parts:
        raise click.UsageError(
            "--rctab-parts: the config tabulates by no precinct or batch "
            "(outputSettings.tabulateByPrecinct, tabulateByBatch)"
        )
    for (kind, name), mine in sorted(parts.items()):
        sub = Path(folder) / f"Tabulate by {kind.title()}"
        sub.mkdir(parents=True, exist_ok=True)
        stem = f"{sanitize(name)}_{kind}_detailed_report"
        if fmt == "rctab-json":
            text = json.dumps(
                detailed_report(mine, part=(kind, name)), indent=2, ensure_ascii=False
            )
            (sub / f"{stem}.json").write_text(text + "\n", encoding="utf-8")
        else:
            text = detailed_csv(mine, part=(kind, name), contest=record)
            (sub / f"{stem}.csv").write_text(text, encoding="utf-8")
    click.echo(f"note: {len(parts)} precinct and batch reports written in {folder}", err=True)


def _convert_rctab(
    config: str,
    target: str,
    to_format: str | None,
    input_format: str | None,
    seats: int | None,
    contest: str | None,
) -> None:
    """RCTab's conversions of a config's records (``convert --rctab-config``)."""
    from tallyroom.rctab import cdf_cvr_json, load_config, rctab_cvr_csv

    if input_format or seats is not None or contest:
        raise click.UsageError("--rctab-config names the sources: no --from, --seats or --contest")
    if to_format not in ("rctab-cvr", "cdf-json"):
        raise click.UsageError(
            "--rctab-config converts to --to rctab-cvr (RCTab's CSV CVR) or --to cdf-json"
        )
    records: list[Any] = []
    contest_config = load_config(config, records=records)
    if to_format == "rctab-cvr":
        text = rctab_cvr_csv(contest_config, records)
    else:
        from datetime import UTC, datetime

        now = datetime.now(UTC).isoformat(timespec="seconds")
        text = json.dumps(cdf_cvr_json(contest_config, records, generated=now), indent=2) + "\n"
    with open(target, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    click.echo(f"wrote {target}: {len(records)} cast-vote records", err=True)


@cli.command()
@click.argument("rule_id", required=False, metavar="[RULE]")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def methods(rule_id: str | None, fmt: str) -> None:
    """List every counting rule with a one-line description; with RULE, its options."""
    from tallyroom.rules import get, rules
    from tallyroom.rules.election_presets import PRESETS

    if rule_id is not None and rule_id in PRESETS:
        _show_preset(PRESETS[rule_id], fmt)
        return
    if rule_id:
        _show_rule(get(rule_id), fmt)
        return
    found = rules()
    if fmt == "json":
        click.echo(
            json.dumps(
                [
                    {
                        "id": r.id,
                        "family": r.family,
                        "title": r.title,
                        "description": r.description,
                        "rule_text": r.rule_text,
                    }
                    for r in found
                ],
                indent=2,
            )
        )
        return
    width = max(len(r.id) for r in found)
    family = None
    for r in found:
        if r.family != family:
            family = r.family
            click.echo(f"{family}:")
        click.echo(f"  {r.id.ljust(width)}  {r.description}")
    click.echo("presets (--preset NAME, or preset = NAME in an election file):")
    for p in PRESETS.values():
        click.echo(f"  {p.name.ljust(width)}  {p.summary}")


def _show_preset(preset: Any, fmt: str) -> None:
    """One preset: its rule, options, ballot rules and sources (``methods PRESET``)."""
    import textwrap

    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "preset": preset.name,
                    "summary": preset.summary,
                    **preset.as_table(),
                    "source": preset.source,
                    "reproduces": preset.reproduces,
                },
                indent=2,
                ensure_ascii=False,
            )
        )
        return
    out = [f"{preset.name} (preset)"]
    out += textwrap.wrap(preset.summary, 84, initial_indent="  ", subsequent_indent="  ")
    out.append(f'  rule = "{preset.rule}"')
    for table in ("options", "ballot_rules"):
        values = getattr(preset, table)
        if values:
            out.append(f"  [{table}]")
            for k, v in values.items():
                shown = str(v).lower() if isinstance(v, bool) else json.dumps(v)
                out.append(f"    {k} = {shown}")
    for label, text in (("Source", preset.source), ("Reproduces", preset.reproduces)):
        out += textwrap.wrap(
            f"{label}: {text}",
            84,
            initial_indent="  ",
            subsequent_indent="    ",
            break_long_words=False,
            break_on_hyphens=False,
        )
    click.echo("\n".join(out))


def _show_rule(rule: Any, fmt: str) -> None:
    """One rule and its parameter schema (``methods RULE``)."""
    import textwrap

    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "id": rule.id,
                    "family": rule.family,
                    "title": rule.title,
                    "description": rule.description,
                    "rule_text": rule.rule_text,
                    "parameters": [p.describe() for p in rule.parameters],
                },
                indent=2,
                ensure_ascii=False,
            )
        )
        return
    out = [f"{rule.id}: {rule.title}", f"  {rule.description}", f"  Rule text: {rule.rule_text}"]
    if not rule.parameters:
        out.append("  Options: none besides the tie rules (--seed, --tie-break).")
    else:
        out.append("  Options (--option NAME=VALUE):")
    for p in rule.parameters:
        d = p.describe()
        values = " | ".join(p.choices) if p.choices else p.kind
        if p.minimum is not None or p.maximum is not None:
            values += f" ({p.minimum if p.minimum is not None else ''}..{p.maximum if p.maximum is not None else ''})"
        default = d["default"]
        shown = (
            "none"
            if default is None
            else str(default).lower()
            if isinstance(default, bool)
            else str(default)
        )
        out.append(f"    {p.name} = {shown}    [{values}]")
        for line in textwrap.wrap(p.meaning, 84):
            out.append(f"        {line}")
        if p.clause:
            out.append(f"        Rule text: {p.clause}")
    click.echo("\n".join(out))


def main(argv: Sequence[str] | None = None) -> None:
    try:
        cli.main(
            args=list(argv) if argv is not None else None,
            prog_name="tallyroom",
            standalone_mode=False,
        )
    except DecisionNeeded as e:
        click.echo(
            f"tallyroom: error: {e}; give the decisions with --tie-break decision "
            "--decision NAME (one per tie, in order)",
            err=True,
        )
        sys.exit(2)
    except TallyroomError as e:
        click.echo(f"tallyroom: error: {e}", err=True)
        sys.exit(2)
    except click.exceptions.Abort:
        click.echo("tallyroom: aborted", err=True)
        sys.exit(130)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except BrokenPipeError:
        sys.exit(0)
    except OSError as e:
        click.echo(f"tallyroom: error: {e.filename or ''}: {e.strerror}", err=True)
        sys.exit(2)
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)
    sys.exit(0)


def _register_extra_commands() -> None:
    """The analysis commands (compare, simulate, demo: :mod:`tallyroom.cli.analysis`), and
    those that live beside the modules they drive (the sealed box: trustee, verify)."""
    from tallyroom.cli import analysis

    for command in analysis.COMMANDS:
        cli.add_command(command)
    # the sealed box's commands; their cryptography (PyNaCl, tallyroom[sealed]) is imported
    # only when one of them runs
    from tallyroom.sealed import cli as sealed_cli

    cli.add_command(sealed_cli.trustee)
    cli.add_command(sealed_cli.verify)


_register_extra_commands()


def _register_service_commands() -> None:
    """``tallyroom serve`` and ``tallyroom ballot`` (the ballot service, extra ``serve``)."""
    from tallyroom.service.cli import ballot, serve

    cli.add_command(serve)
    cli.add_command(ballot)


_register_service_commands()
