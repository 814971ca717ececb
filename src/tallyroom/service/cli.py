"""``tallyroom serve`` and its admin twins for scripting (``tallyroom ballot ...``)."""

from __future__ import annotations

import copy
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

import click


def _service(
    data: str, database: str | None, base_url: str, board_key: str | None = None, **kw: Any
) -> Any:
    try:
        from tallyroom.service.core import Service
        from tallyroom.service.db import sqlite_url
        from tallyroom.service.sealed import BoardKeyError, SealingBox, load_board_key
    except ImportError as e:  # the extra is not installed
        raise click.ClickException(
            f"the ballot service needs the 'serve' extra ({e.name} is missing): "
            "pip install 'tallyroom[serve]' or uv run --extra serve ..."
        ) from None
    url = database or sqlite_url(Path(data))
    # the board's signing key: a file, never the database (docs/security.md)
    try:
        seed = load_board_key(Path(board_key) if board_key else Path(data) / "board-key")
    except BoardKeyError as e:
        raise click.ClickException(str(e)) from None
    return Service.open(url, base_url=base_url, box=SealingBox(seed), **kw)


class QuerylessAccessLog(logging.Filter):
    """Drops the query string from uvicorn's access-log lines: whatever a page or a client
    puts in an address (a tracker, a search) never reaches the log beside an IP address.
    The service's own pages send codes and trackers only in POST bodies (web.py); this is
    the second line. uvicorn logs ``(client, method, path with query, version, status)``."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], args[2].split("?", 1)[0], *args[3:])
        return True


def log_config() -> dict[str, Any]:
    """uvicorn's logging, with the access log's query strings removed."""
    from uvicorn.config import LOGGING_CONFIG

    c = copy.deepcopy(LOGGING_CONFIG)
    c.setdefault("filters", {})["queryless"] = {"()": f"{__name__}.QuerylessAccessLog"}
    c["handlers"]["access"]["filters"] = ["queryless"]
    return c


BOARD_KEY = click.option(
    "--board-key",
    default=None,
    help="The sealed box's board signing key file (default DATA/board-key, made on first "
    "use, mode 600). Keep it out of the database's backups.",
)


@click.command()
@click.option(
    "--data",
    default="tallyroom-data",
    show_default=True,
    help="Data folder (the SQLite database, the outbox).",
)
@click.option("--database", default=None, help="A database URL instead (postgresql://...).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--base-url", default=None, help="The public address, for links in mail and letters.")
@click.option(
    "--smtp",
    default=None,
    help="HOST:PORT of the mail server (without it mail goes to DATA/outbox as .eml).",
)
@click.option(
    "--demo", is_flag=True, help="Start with a demonstration organisation and an NEC-like election."
)
@BOARD_KEY
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="App processes sharing the port (the app keeps no state of its own: limits, "
    "sessions and jobs live in the database). One Python process uses one core.",
)
def serve(
    data: str,
    database: str | None,
    host: str,
    port: int,
    base_url: str | None,
    smtp: str | None,
    demo: bool,
    board_key: str | None,
    workers: int,
) -> None:
    """Run the ballot service: roll, codes, voting, count, scrutineer's report."""
    import secrets

    import uvicorn

    from tallyroom.service.web import create_app

    base = base_url or f"http://{host}:{port}"
    smtp_at = None
    if smtp:
        h, _, p = smtp.rpartition(":")
        smtp_at = (h, int(p))
    secret_file = Path(data) / "session-secret"
    Path(data).mkdir(parents=True, exist_ok=True)
    if not secret_file.exists():
        secret_file.write_text(secrets.token_hex(32))
        secret_file.chmod(0o600)
    svc = _service(
        data,
        database,
        base,
        board_key,
        outbox=Path(data) / "outbox",
        smtp=smtp_at,
        secret=secret_file.read_text().strip(),
    )
    if demo:
        from tallyroom.service import demo as demo_mod
        from tallyroom.service.mail import mail_house_csv

        d = demo_mod.install(svc)
        from tallyroom.service import core

        a = core.authenticate(svc, d["email"], d["password"])
        assert a is not None
        sample = mail_house_csv(svc, a, d["election"]).splitlines()[1:4]
        click.echo(f"demonstration: sign in at {base}/login as {d['email']} / {d['password']}")
        click.echo(f"demonstration: the ballot is at {base}/e/{d['election']}/vote")
        click.echo("demonstration: some postal voters' codes (fictional):")
        for line in sample:
            click.echo("  " + line.split(",")[3])
    from tallyroom.service.core import first_run_link

    link = first_run_link(svc)
    if link:
        click.echo(f"first run: create the first administrator at {link} (the link works once)")
    if workers == 1:
        uvicorn.run(
            create_app(svc),
            host=host,
            port=port,
            log_level="info",
            access_log=True,
            log_config=log_config(),
        )
        return
    svc.engine.dispose()
    # each worker is a fresh interpreter (uvicorn spawns them): it builds its own app from
    # the same settings, passed in the environment
    os.environ[_WORKER_SETTINGS] = json.dumps(
        {
            "data": data,
            "database": database,
            "base": base,
            "smtp": smtp_at,
            "secret": str(secret_file),
        }
    )
    uvicorn.run(
        "tallyroom.service.cli:worker_app",
        factory=True,
        workers=workers,
        host=host,
        port=port,
        log_level="info",
        access_log=True,
        log_config=log_config(),
    )


_WORKER_SETTINGS = "TALLYROOM_SERVE_WORKER"


def worker_app() -> Any:
    """The app of one ``serve --workers N`` process (uvicorn's factory)."""
    from tallyroom.service.web import create_app

    c = json.loads(os.environ[_WORKER_SETTINGS])
    svc = _service(
        c["data"],
        c["database"],
        c["base"],
        outbox=Path(c["data"]) / "outbox",
        smtp=tuple(c["smtp"]) if c["smtp"] else None,
        secret=Path(c["secret"]).read_text().strip(),
    )
    return create_app(svc)


@click.group()
def ballot() -> None:
    """Admin actions of the ballot service, for scripting."""


def _admin(svc: Any, email: str) -> dict[str, Any]:
    from sqlalchemy import select

    from tallyroom.service import schema

    with svc.engine.begin() as conn:
        row = conn.execute(select(schema.admin).where(schema.admin.c.email == email)).first()
    if row is None:
        raise click.ClickException(f"no account {email}")
    return dict(row._mapping)


_common = [
    click.option("--data", default="tallyroom-data", show_default=True),
    click.option("--database", default=None),
    click.option("--as", "actor", required=True, help="The account's email (its role applies)."),
    click.argument("election"),
]


def _with_common(f: Any) -> Any:
    for o in reversed(_common):
        f = o(f)
    return f


@ballot.command("import-roll")
@_with_common
@click.argument("roll", type=click.Path(exists=True, dir_okay=False))
@click.option("--map", "mapping", multiple=True, help="FIELD=COLUMN, e.g. number='Membership No'.")
def import_roll(
    data: str, database: str | None, actor: str, election: str, roll: str, mapping: tuple[str, ...]
) -> None:
    """Import a roll CSV into a draft election."""
    from tallyroom.service import core

    svc = _service(data, database, "")
    got = core.import_roll(
        svc,
        _admin(svc, actor),
        election,
        Path(roll).read_text(encoding="utf-8-sig"),
        dict(m.split("=", 1) for m in mapping),
        roll,
    )
    click.echo(json.dumps(got, indent=2))


@ballot.command("open")
@_with_common
def open_(data: str, database: str | None, actor: str, election: str) -> None:
    """Freeze the roll and open the election now."""
    from tallyroom.service import core

    svc = _service(data, database, "")
    click.echo(json.dumps(core.open_election(svc, _admin(svc, actor), election), indent=2))


@ballot.command("close")
@_with_common
@BOARD_KEY
def close(
    data: str, database: str | None, actor: str, election: str, board_key: str | None
) -> None:
    """Close the election now (logged as an incident if early) and count it; a sealed
    election is closed and its board frozen, and says what happens next."""
    from tallyroom.service import core

    svc = _service(data, database, "", board_key)
    a = _admin(svc, actor)
    before = core.election_info(svc, a, election)["state"]
    if before != "open":
        raise click.ClickException(f"election {election} is {before}, not open: nothing done")
    core.close_election(svc, a, election)
    click.echo(close_message(svc, election, core.election_info(svc, a, election)["state"]))


def close_message(svc: Any, election: str, state: str) -> str:
    """What `ballot close` did, in words: counted, or (a sealed election) closed with the
    board frozen, where each contest's opening stands and who does what next."""
    from tallyroom.service import sealed

    if state == "counted":
        return "closed and counted: the result is published"
    if not sealed.is_sealed(svc, election):
        return f"closed; not counted yet (the election is {state}): the job runner counts it"
    lines = [
        "closed: the board is frozen (a last signed checkpoint). Not counted yet: this is "
        "a sealed election, opened by its trustees."
    ]
    for c in sealed.opening_status(svc, election):
        if c["opened"]:
            where = "opened"
        elif not c["ballots"]:
            where = "no ballots: nothing to shuffle or decrypt"
        elif not c["shuffles"]:
            where = (
                "the service's shuffle is queued (the job runner of `tallyroom serve` makes "
                "it, minutes at many ballots)"
            )
        elif len(c["shuffles"]) < 2:
            where = "the service's shuffle is made; the scrutineer's is awaited"
        else:
            where = (
                f"both shuffles are in; decrypted by {len(c['decrypted_by'])} of "
                f"{c['threshold']} trustees needed"
            )
        lines.append(f"- {c['title']}: {c['ballots']} ballots; {where}.")
    lines += [
        "Next: once the service's shuffle is made, the scrutineer fetches "
        f"/e/{election}/sealed/CONTEST/mix.json, runs `tallyroom trustee mix --index 1` and "
        f"uploads the file (signed in, on /e/{election}/opening); then at least the "
        "threshold of trustees fetch mix.json again, run `tallyroom trustee decrypt` and "
        "hand their files to the scrutineer or returning officer to upload. The service "
        "then opens each contest and counts the election (the job runner again).",
    ]
    return "\n".join(lines)


@ballot.command("export")
@_with_common
@click.option("--out", type=click.Path(file_okay=False), default=".", show_default=True)
def export(data: str, database: str | None, actor: str, election: str, out: str) -> None:
    """Write the results, the anonymised ballots and the scrutineer's report to a folder."""
    from tallyroom.service import core

    svc = _service(data, database, "")
    a = _admin(svc, actor)
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "scrutineer-report.json").write_text(
        json.dumps(core.scrutineer_report(svc, a, election), indent=2, default=str)
    )
    for r in core.result(svc, election):
        for fmt, key in (("html", "html"), ("json", "record_json"), ("blt", "blt"), ("csv", "csv")):
            (folder / f"{r['id']}.{fmt}").write_text(r[key])
    click.echo(f"written to {folder}", file=sys.stderr)
