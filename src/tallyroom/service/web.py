"""The web front: voter pages (Jinja2, server-rendered, no JavaScript needed), a small
admin area, and a JSON API (FastAPI, with its OpenAPI schema at ``/api/openapi.json``).

Security: sessions are signed cookies (Starlette's SessionMiddleware, itsdangerous); an
admin's holds a sign-in token that the database also knows, so signing out ends it
everywhere (security.py), and failed sign-ins are limited per address and account; every
form carries a CSRF token tied to the session, and JSON calls that change anything send it
in ``X-CSRF-Token``; every answer has a strict Content-Security-Policy and
``frame-ancestors 'none'``; code entry is rate-limited per client address. Codes and
trackers travel only in POST bodies or URL fragments, so the access log never holds one
(and ``serve`` strips query strings from it besides); choices only in response bodies.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.middleware.sessions import SessionMiddleware

from tallyroom import TallyroomError
from tallyroom.service import core, forms, mail, security
from tallyroom.service.core import Service, ServiceError

HERE = Path(__file__).parent
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
# the library's HTML report is a self-contained page with inline scripts (plotly): it is
# served sandboxed, in an opaque origin with no access to the service's cookies
REPORT_CSP = (
    "default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; "
    "img-src data:; font-src data:; frame-ancestors 'self'; sandbox allow-scripts"
)
STATUS = {core.NotFound: 404, core.Forbidden: 403, core.AlreadyVoted: 409, core.NotOpen: 409}


TELEMETRY_OFF: Any = {
    "tracing": False,
    "metrics": False,
    "logs": False,
    "operation_spans": False,
    "auto_configure": False,
}


def create_app(svc: Service, *, run_jobs: bool = True) -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(_drain(svc)) if run_jobs else None
        yield
        if task:
            task.cancel()

    app = FastAPI(
        # FastAPI's OpenTelemetry instrumentation, off whatever the environment says
        # (FASTAPI_OTEL_AUTO_CONFIGURE would add an OTLP exporter): nothing leaves the
        # machine, and its "logs" would carry exception messages, which may quote a form
        telemetry=TELEMETRY_OFF,
        title="tallyroom ballot service",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.filters["when"] = mail.when
    # the templates are package data: no stat() of each file on every page
    templates.env.auto_reload = False

    app.add_middleware(security.Headers, csp=CSP)  # CSP, no framing, no caching
    app.add_middleware(
        SessionMiddleware,
        secret_key=svc.secret,
        session_cookie="tallyroom",
        same_site="strict",
        https_only=svc.base_url.startswith("https"),
        max_age=4 * 3600,
    )
    app.add_middleware(security.BodyLimit)  # outermost: before a session is even read
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    def csrf(request: Request) -> str:
        token = request.session.get("csrf")
        if not token:
            token = request.session["csrf"] = secrets.token_urlsafe(24)
        return str(token)

    async def form_of(request: Request) -> dict[str, str]:
        form = await request.form()
        data = {k: str(v) for k, v in form.items() if isinstance(v, str)}
        sent = data.pop("csrf", "")
        if not hmac.compare_digest(sent, str(request.session.get("csrf", ""))) or not sent:
            raise core.Forbidden("this form has expired: go back, reload the page and try again")
        return data

    def page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        context.setdefault("title", "tallyroom")
        return templates.TemplateResponse(
            request, name, {"csrf": csrf(request), **context}, status_code=status
        )

    @app.exception_handler(ServiceError)
    async def refused(request: Request, err: ServiceError) -> Response:
        status = next((s for k, s in STATUS.items() if isinstance(err, k)), 400)
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": str(err)}, status_code=status)
        return page(request, "message.html", status, title="Not possible", message=str(err))

    def admin(request: Request) -> dict[str, Any]:
        found = security.session_admin(svc, str(request.session.get("admin", "")))
        if found is None:
            raise core.Forbidden("sign in first")
        return found

    def api_admin(request: Request) -> dict[str, Any]:
        a = admin(request)
        if request.method != "GET" and not hmac.compare_digest(
            request.headers.get("x-csrf-token", ""), str(request.session.get("csrf", "-"))
        ):
            raise core.Forbidden("missing or wrong X-CSRF-Token")
        return a

    # -- public ----------------------------------------------------------------------------
    @app.get("/", response_class=HTMLResponse)
    async def home(request: Request) -> Response:
        return page(request, "home.html")

    @app.get("/setup/{token}", response_class=HTMLResponse)
    async def setup(request: Request, token: str) -> Response:
        return page(request, "setup.html", title="Create your account", token=token)

    @app.post("/setup/{token}", response_class=HTMLResponse)
    async def setup_post(request: Request, token: str) -> Response:
        f = await form_of(request)
        a = core.accept_invitation(
            svc, token, f.get("email", ""), f.get("password", ""), f.get("organisation", "")
        )
        request.session.clear()
        request.session["admin"] = await asyncio.to_thread(security.start_session, svc, a["id"])
        return RedirectResponse("/admin", 303)

    @app.get("/login", response_class=HTMLResponse)
    async def login(request: Request) -> Response:
        return page(request, "login.html", title="Sign in")

    @app.post("/login", response_class=HTMLResponse)
    async def login_post(request: Request) -> Response:
        f = await form_of(request)
        email, address = f.get("email", ""), _client(request)
        # failures are counted in the database, per address and per account (security.py)
        if not await asyncio.to_thread(security.login_allowed, svc, address, email):
            return page(
                request,
                "login.html",
                429,
                title="Sign in",
                error="Too many failed sign-ins: wait a few minutes and try again.",
            )
        a = await asyncio.to_thread(core.authenticate, svc, email, f.get("password", ""))
        if a is None:
            await asyncio.to_thread(security.login_failed, svc, address, email)
            return page(
                request,
                "login.html",
                401,
                title="Sign in",
                error="That email and password do not match an account.",
            )
        request.session.clear()  # a new session on sign-in: no fixation
        request.session["admin"] = await asyncio.to_thread(security.start_session, svc, a["id"])
        return RedirectResponse("/admin", 303)

    @app.post("/logout")
    async def logout(request: Request) -> Response:
        await form_of(request)
        # ended in the database too: a copy of the cookie opens nothing any more
        await asyncio.to_thread(security.end_session, svc, str(request.session.get("admin", "")))
        request.session.clear()
        return RedirectResponse("/", 303)

    @app.get("/e/{eid}", response_class=HTMLResponse)
    async def notice(request: Request, eid: str) -> Response:
        e = await _public_view(svc, eid)
        return page(request, "election.html", title=e["title"], e=e)

    @app.get("/e/{eid}/turnout.json")
    async def turnout(eid: str) -> Response:
        e = await _public_view(svc, eid)
        return JSONResponse({"state": e["state"], **e.get("turnout", {})})

    @app.get("/e/{eid}/vote", response_class=HTMLResponse)
    async def vote(request: Request, eid: str) -> Response:
        e = await _voters_view(svc, eid)
        return page(request, "code.html", title=f"Vote: {e['title']}", e=e)

    @app.post("/e/{eid}/vote", response_class=HTMLResponse)
    async def vote_post(request: Request, eid: str) -> Response:
        f = await form_of(request)
        # one worker thread for the request's reads: each hand-over to a thread and back
        # costs the event loop as much as a query
        e, allowed, slot, err = await asyncio.to_thread(
            _code_step, svc, eid, _client(request), f.get("code", "")
        )
        # failures are counted in the database, per address and per election (security.py)
        if not allowed:
            return page(
                request,
                "code.html",
                429,
                title=f"Vote: {e['title']}",
                e=e,
                error="Too many codes tried from here: wait a minute and try again.",
            )
        if isinstance(err, (core.NotOpen, core.NotFound)):
            raise err
        if err is not None:
            if not isinstance(err, core.AlreadyVoted):  # a real code, used: not a guess
                await asyncio.to_thread(security.code_failed, svc, eid, _client(request))
            status = 409 if isinstance(err, core.AlreadyVoted) else 400
            return page(
                request, "code.html", status, title=f"Vote: {e['title']}", e=e, error=str(err)
            )
        assert slot is not None  # allowed, and no error: the code opened a slot
        request.session.clear()  # the voter's own, fresh session
        request.session.update(voter={"election": eid, **slot})
        return RedirectResponse(f"/e/{eid}/ballot", 303)

    async def voter(
        request: Request, eid: str
    ) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
        v = _voter_of(request, eid)
        e = await _voters_view(svc, eid)
        contests = [c for c in e["contests"] if c["id"] in v["contests"]]
        for c in contests:
            order = list(range(len(c["candidates"])))
            if c["candidate_order"] == "alphabetical":
                order.sort(key=lambda i: c["candidates"][i]["name"])
            elif c["candidate_order"] == "rotated":
                # rotated per voter so no candidate always heads the paper
                r = int(hashlib.sha256(v["slot"].encode()).hexdigest(), 16) % max(1, len(order))
                order = order[r:] + order[:r]
            c["order"] = order
        return v, e, contests

    @app.get("/e/{eid}/ballot", response_class=HTMLResponse)
    async def ballot(request: Request, eid: str) -> Response:
        _v, e, contests = await voter(request, eid)
        return page(
            request, "ballot.html", title=f"Ballot: {e['title']}", e=e, contests=contests, values={}
        )

    @app.post("/e/{eid}/review", response_class=HTMLResponse)
    async def review(request: Request, eid: str) -> Response:
        f = await form_of(request)
        _v, e, contests = await voter(request, eid)
        problems, papers = [], {}
        for c in contests:
            marks, bad = core.validate_paper(c, f)
            problems += [f"{c['title']}: {b}" for b in bad]
            papers[c["id"]] = marks
        if problems or "change" in f:
            return page(
                request,
                "ballot.html",
                400 if problems else 200,
                title=f"Ballot: {e['title']}",
                e=e,
                contests=contests,
                values=f,
                problems=problems,
            )
        explained = [(c, core.explain(c, papers[c["id"]])) for c in contests]
        return page(
            request,
            "review.html",
            title=f"Check your vote: {e['title']}",
            e=e,
            explained=explained,
            values=f,
        )

    @app.post("/e/{eid}/cast", response_class=HTMLResponse)
    async def cast(request: Request, eid: str) -> Response:
        f = await form_of(request)
        v = _voter_of(request, eid)
        e, tracker = await asyncio.to_thread(_cast_step, svc, eid, v, f)
        request.session.clear()
        return page(request, "receipt.html", title="Your vote has been cast", e=e, tracker=tracker)

    @app.get("/e/{eid}/tracker", response_class=HTMLResponse)
    async def tracker_form(request: Request, eid: str) -> Response:
        e = await _voters_view(svc, eid)
        return page(request, "tracker.html", title="Check a tracking code", e=e, t="")

    # the tracker travels in the POST body, never in the address: an address with it would
    # put it, beside the checker's IP address, in every access log and proxy on the way
    @app.post("/e/{eid}/tracker", response_class=HTMLResponse)
    async def check_tracker(request: Request, eid: str) -> Response:
        f = await form_of(request)
        e = await _voters_view(svc, eid)
        t = f.get("t", "")
        found = await asyncio.to_thread(_tracker_found, svc, e, t)
        return page(request, "tracker.html", title="Check a tracking code", e=e, t=t, found=found)

    @app.get("/e/{eid}/result", response_class=HTMLResponse)
    async def result(request: Request, eid: str) -> Response:
        e = await _voters_view(svc, eid)
        return page(
            request,
            "result.html",
            title=f"Result: {e['title']}",
            e=e,
            results=await asyncio.to_thread(core.result, svc, eid),
        )

    @app.get("/e/{eid}/result/{cid}-candidates.csv")
    async def result_candidates(eid: str, cid: str) -> Response:
        results = await asyncio.to_thread(core.result, svc, eid)
        r = next((r for r in results if r["id"] == cid), None)
        if r is None:
            raise core.NotFound("no such result")
        return Response(
            core.candidates_csv(r),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{cid}-candidates.csv"'},
        )

    @app.get("/e/{eid}/result/{cid}.{fmt}")
    async def result_file(eid: str, cid: str, fmt: str) -> Response:
        results = await asyncio.to_thread(core.result, svc, eid)
        r = next((r for r in results if r["id"] == cid), None)
        if r is None or fmt not in ("html", "json", "blt", "csv"):
            raise core.NotFound("no such result")
        if fmt == "html":
            return HTMLResponse(r["html"], headers={"Content-Security-Policy": REPORT_CSP})
        body = r["record_json"] if fmt == "json" else r[fmt]
        kind = {"json": "application/json", "csv": "text/csv"}.get(fmt, "text/plain")
        return Response(
            body,
            media_type=f"{kind}; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{cid}.{fmt}"'},
        )

    # -- the admin area (HTML) ---------------------------------------------------------------
    @app.get("/admin", response_class=HTMLResponse)
    async def admin_home(request: Request) -> Response:
        try:
            a = admin(request)
        except core.Forbidden:
            return RedirectResponse("/login", 303)
        return page(request, "admin.html", title="Elections", a=a, elections=core.elections(svc, a))

    # the returning officer's "new election" form (the same core.create_election as the API)
    def new_form(
        request: Request, a: dict[str, Any], f: dict[str, str], n: int, status: int = 200, **kw: Any
    ) -> HTMLResponse:
        return page(
            request,
            "admin_new.html",
            status,
            title="New election",
            a=a,
            f=f,
            n=n,
            rules=forms.rule_choices(),
            ballot_names=forms.BALLOT_NAMES,
            orders=forms.ORDERS,
            organisation=forms.organisation_name(svc, a),
            **kw,
        )

    @app.get("/admin/new", response_class=HTMLResponse)
    async def admin_new(request: Request) -> Response:
        try:
            a = admin(request)
        except core.Forbidden:
            return RedirectResponse("/login", 303)
        if a["role"] not in core.MANAGERS:
            raise core.Forbidden(f"a {a['role'].replace('_', ' ')} may not create an election")
        return new_form(request, a, {"time_zone": "Europe/London", "c0-seats": "1"}, 1)

    @app.post("/admin/new", response_class=HTMLResponse)
    async def admin_new_post(request: Request) -> Response:
        f = await form_of(request)
        a = admin(request)
        n = min(max(1, int(f["n"]) if f.get("n", "").isdigit() else 1), forms.MAX_CONTESTS)
        if "add" in f:  # "add another contest": the same form, one block more
            return new_form(request, a, f, min(n + 1, forms.MAX_CONTESTS))
        spec, errors = forms.election_spec(f, n)
        if errors:
            return new_form(request, a, f, n, 400, errors=errors)
        try:
            eid = await asyncio.to_thread(core.create_election, svc, a, spec)
        except (core.Forbidden, core.NotFound):
            raise
        except ServiceError as err:
            return new_form(request, a, f, n, 400, errors={}, refused=str(err))
        return RedirectResponse(f"/admin/e/{eid}?done=election+created", 303)

    @app.get("/admin/e/{eid}", response_class=HTMLResponse)
    async def admin_election(request: Request, eid: str) -> Response:
        a = admin(request)
        e = core.election_info(svc, a, eid)
        return page(
            request,
            "admin_election.html",
            title="Election",
            a=a,
            e=e,
            report=core.scrutineer_report(svc, a, eid)
            if e["state"] in ("counted", "purged")
            else None,
            message=request.query_params.get("done"),
        )

    @app.post("/admin/e/{eid}/{action}", response_class=HTMLResponse)
    async def admin_action(request: Request, eid: str, action: str) -> Response:
        f = await form_of(request)
        a = admin(request)
        done = await asyncio.to_thread(_act, svc, a, eid, action, f)
        return RedirectResponse(f"/admin/e/{eid}?done={done}", 303)

    @app.post("/admin/e/{eid}/roll/upload", response_class=HTMLResponse)
    async def admin_roll(request: Request, eid: str) -> Response:
        form = await request.form()
        if not hmac.compare_digest(
            str(form.get("csrf", "")), str(request.session.get("csrf", "-"))
        ):
            raise core.Forbidden("this form has expired: reload the page and try again")
        a = admin(request)
        upload = form.get("roll")
        if upload is None or isinstance(upload, str):
            raise ServiceError("choose a roll file")
        text = (await upload.read()).decode("utf-8-sig")
        try:
            got = await asyncio.to_thread(
                core.import_roll, svc, a, eid, text, None, upload.filename or "roll.csv"
            )
        except core.RollError as err:
            return page(
                request,
                "message.html",
                400,
                title="The roll was not imported",
                message=str(err),
                lines=err.errors[:200],
            )
        return RedirectResponse(
            f"/admin/e/{eid}?done=roll+imported:+{got['eligible']}+eligible", 303
        )

    # -- the JSON API ---------------------------------------------------------------------------
    @app.get("/api/session")
    async def api_session(request: Request) -> Any:
        a = admin(request)
        return {"csrf": csrf(request), "email": a["email"], "role": a["role"]}

    @app.get("/api/elections")
    async def api_elections(request: Request) -> Any:
        return core.elections(svc, api_admin(request))

    @app.post("/api/elections")
    async def api_create(request: Request) -> Any:
        a = api_admin(request)
        spec = await _json_object(request)
        try:
            return {"id": core.create_election(svc, a, spec)}
        except ServiceError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError, TallyroomError) as err:
            # a field missing or of the wrong kind: say which, never a server error
            raise ServiceError(f"the election's description is not valid: {err!r}") from None

    @app.get("/api/elections/{eid}")
    async def api_election(request: Request, eid: str) -> Any:
        return core.election_info(svc, api_admin(request), eid)

    @app.post("/api/elections/{eid}/roll")
    async def api_roll(request: Request, eid: str) -> Any:
        a = api_admin(request)
        body = await _json_object(request)
        if not isinstance(body.get("csv"), str):
            raise ServiceError('send the roll as {"csv": "..."}')
        try:
            return await asyncio.to_thread(
                core.import_roll,
                svc,
                a,
                eid,
                body["csv"],
                body.get("mapping"),
                body.get("name", "roll.csv"),
            )
        except core.RollError as err:
            return JSONResponse({"error": str(err), "rows": err.errors}, status_code=400)

    @app.post("/api/elections/{eid}/{action}")
    async def api_action(request: Request, eid: str, action: str) -> Any:
        a = api_admin(request)
        body = await _json_object(request) if await request.body() else {}
        return {"done": await asyncio.to_thread(_act, svc, a, eid, action, body)}

    @app.get("/api/elections/{eid}/report")
    async def api_report(request: Request, eid: str) -> Any:
        return core.scrutineer_report(svc, api_admin(request), eid)

    @app.get("/api/elections/{eid}/report.pdf")
    async def api_report_pdf(request: Request, eid: str) -> Response:
        from tallyroom.service.report import pdf

        return Response(
            pdf(core.scrutineer_report(svc, api_admin(request), eid)), media_type="application/pdf"
        )

    @app.get("/api/elections/{eid}/letters.pdf")
    async def api_letters(request: Request, eid: str) -> Response:
        a = api_admin(request)
        return Response(
            await asyncio.to_thread(mail.letters, svc, a, eid), media_type="application/pdf"
        )

    @app.get("/api/elections/{eid}/mailhouse.csv")
    async def api_mailhouse(request: Request, eid: str) -> Response:
        return PlainTextResponse(
            mail.mail_house_csv(svc, api_admin(request), eid), media_type="text/csv"
        )

    @app.get("/api/elections/{eid}/audit")
    async def api_audit(request: Request, eid: str) -> Any:
        a = api_admin(request)
        core.election_info(svc, a, eid)  # this organisation's election, or 404
        log = core.audit_log(svc, a["organisation_id"])
        return {"verified": core.verify_audit(log), "entries": log}

    @app.post("/api/invitations")
    async def api_invite(request: Request) -> Any:
        a = api_admin(request)
        body = await _json_object(request)
        return {"link": core.invite(svc, a, str(body.get("role", "")))}

    from tallyroom.service.sealed_web import add_routes

    add_routes(app, svc, page)  # the sealed box's board, mix and decryption routes
    return app


def _act(svc: Service, a: dict[str, Any], eid: str, action: str, f: dict[str, Any]) -> str:
    if action == "open":
        core.open_election(svc, a, eid)
    elif action == "close":
        core.close_election(svc, a, eid)
    elif action == "remind":
        return f"{core.remind(svc, a, eid)} reminders queued"
    elif action == "reissue":
        way = core.reissue(svc, a, eid, str(f.get("member", "")), str(f.get("channel", "")) or None)
        return f"new code sent by {way}"
    elif action == "sign-off":
        core.sign_off(svc, a, eid, str(f.get("statement", "")), str(f.get("report_sha256", "")))
        return "signed off"
    elif action == "seal":
        from tallyroom.service import sealed

        sealed.seal(
            svc,
            a,
            eid,
            f.get("trustees", {}),
            str(f.get("scrutineer_key", "")),
            str(f.get("group", "Ed25519")),
        )
    elif action == "extend":
        core.extend(svc, a, eid, str(f.get("closes_at", "")), str(f.get("reason", "")))
    else:
        raise core.NotFound(f"no action {action!r}")
    return action


async def _json_object(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise ServiceError("the request's body is not JSON") from None
    if not isinstance(body, dict):
        raise ServiceError("the request's body must be a JSON object")
    return body


async def _voters_view(svc: Service, eid: str) -> dict[str, Any]:
    """The election as the voter's journey shows it (no turnout): this process's copy if
    it is fresh (`core.voters_view`), else read in a worker thread, since a database call
    on the event loop would hold up every other request meanwhile."""
    e = core.fresh_voters_view(svc, eid)
    return e if e is not None else await asyncio.to_thread(core.voters_view, svc, eid)


def _voter_of(request: Request, eid: str) -> dict[str, Any]:
    """The slot this session's code opened, or a refusal."""
    v = request.session.get("voter")
    if not v or v.get("election") != eid:
        raise core.Forbidden("enter your voting code first")
    return dict(v)


def _code_step(
    svc: Service, eid: str, address: str, code: str
) -> tuple[dict[str, Any], bool, dict[str, Any] | None, ServiceError | None]:
    """A code typed in: the election, whether this address may try one now, and the slot
    the code opens or the reason it opens none. In one worker thread."""
    e = core.voters_view(svc, eid)
    if not security.code_allowed(svc, eid, address):
        return e, False, None, None
    try:
        return e, True, core.enter_code(svc, eid, code), None
    except ServiceError as err:
        return e, True, None, err


def _cast_step(
    svc: Service, eid: str, v: dict[str, Any], f: dict[str, str]
) -> tuple[dict[str, Any], str]:
    """The paper checked and cast: the election and the tracking code. In one worker
    thread."""
    e = core.voters_view(svc, eid)
    papers = {}
    for c in e["contests"]:
        if c["id"] not in v["contests"]:
            continue
        marks, bad = core.validate_paper(c, f)
        if bad:
            raise ServiceError("this paper has fields that are not valid: go back")
        papers[c["id"]] = marks
    return e, core.cast(svc, eid, v["slot"], v["issue"], papers)


def _tracker_found(svc: Service, e: dict[str, Any], t: str) -> bool:
    with svc.engine.begin() as conn:
        return t.strip().lower() in svc.box.trackers(conn, [c["id"] for c in e["contests"]])


async def _public_view(svc: Service, eid: str) -> dict[str, Any]:
    """The election with its turnout as the public pages show it: the turnout counted at
    most once every ``svc.turnout_max_age`` seconds (`core.public_turnout`), both in a
    worker thread."""
    e = await _voters_view(svc, eid)
    t = await asyncio.to_thread(core.public_turnout, svc, eid)
    return e | ({"turnout": t} if t is not None and e["state"] == "open" else {})


def _client(request: Request) -> str:
    return request.client.host if request.client else "-"


async def _drain(svc: Service, limit: int = 200) -> None:
    while True:
        ran = 0
        try:
            ran = await asyncio.to_thread(core.run_due_jobs, svc, limit)
        except Exception:  # the drain never dies; the job's own row keeps the error
            pass
        if ran < limit:  # a full round means more may be due: the next one at once
            await asyncio.sleep(1.0)
