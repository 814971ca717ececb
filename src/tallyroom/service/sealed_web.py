"""The sealed box's pages and JSON (tallyroom.service.sealed), added to the web front by
:func:`add_routes`.

Public, as the board must be: ``/e/{id}/board`` (every contest's trackers, for a voter to
find theirs) and ``/e/{id}/board.json`` (entries and signed checkpoints, for observers to
keep). At the close: ``GET /e/{id}/sealed/{contest}/mix.json`` (what the scrutineer and the
trustees fetch), ``POST .../shuffle`` (the scrutineer's) and ``POST .../decryption`` (each
trustee's; it answers the decryptions still ``needed``, and at 0 the opening is a job of
the service's job runner), and ``GET .../record.json`` once opened; ``/e/{id}/opening`` shows where each
contest's opening stands, with a form to upload the file a mixer or trustee made (no
JavaScript: it posts as those routes do, and is checked the same way).

The posts take large bodies (a shuffle is about 500 bytes a ballot), so they are for
signed-in staff only (:data:`UPLOADERS`, of the election's organisation): the session is
checked before a byte of the body is read, and anyone else is refused with 403 (the large
body limit, tallyroom.service.security.body_limit, is for these three addresses only).  A
JSON post sends the session's ``X-CSRF-Token`` as the API's do.  What is posted is then
checked on its own: a shuffle is signed by its mixer and proved, a decryption is proved
against its trustee's key, and anything that does not check is refused.  A trustee has no
account of their own: they hand their file to the scrutineer or the returning officer, who
uploads it (the file's proofs, not the uploader, say whose it is).
"""

from __future__ import annotations

import asyncio
import hmac
import json
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response

from tallyroom.service import core, sealed, security

#: who may post a shuffle or a decryption: staff of the election's organisation who may
#: handle the opening (an observer may not)
UPLOADERS = ("administrator", "returning_officer", "scrutineer")


def uploader(svc: core.Service, request: Request, eid: str, *, json_post: bool) -> None:
    """Refuse (403, or 404 for another organisation's election) unless the request comes
    from a signed-in uploader: read from the session cookie only, before the body."""
    found = security.session_admin(svc, str(request.session.get("admin", "")))
    if found is None:
        raise core.Forbidden(
            "sign in first: the scrutineer or the returning officer uploads the opening's files"
        )
    if found["role"] not in UPLOADERS:
        raise core.Forbidden(f"a {found['role']} does not upload the opening's files")
    if json_post and not hmac.compare_digest(
        request.headers.get("x-csrf-token", ""), str(request.session.get("csrf", "-"))
    ):
        raise core.Forbidden("missing or wrong X-CSRF-Token")
    with svc.engine.begin() as conn:
        core._election(conn, found, eid)  # this organisation's election, or 404


def add_routes(app: FastAPI, svc: core.Service, page: Callable[..., HTMLResponse]) -> None:
    @app.get("/e/{eid}/board", response_class=HTMLResponse)
    async def board_page(request: Request, eid: str) -> Response:
        e = await asyncio.to_thread(core.public_election, svc, eid, False)
        boards = await asyncio.to_thread(sealed.board, svc, eid)
        titles = {c["id"]: c["title"] for c in e["contests"]}
        return page(
            request,
            "board.html",
            title=f"Bulletin board: {e['title']}",
            e=e,
            boards=[b | {"title": titles.get(b["contest"], b["contest"])} for b in boards],
        )

    @app.get("/e/{eid}/board.json")
    async def board_json(eid: str) -> Any:
        await asyncio.to_thread(core.public_election, svc, eid, False)
        return await asyncio.to_thread(sealed.board, svc, eid)

    @app.get("/e/{eid}/sealed/{cid}/mix.json")
    async def mix_json(eid: str, cid: str) -> Any:
        return await asyncio.to_thread(sealed.mix_input, svc, eid, cid)

    @app.post("/e/{eid}/sealed/{cid}/shuffle")
    async def post_shuffle(request: Request, eid: str, cid: str) -> Any:
        await asyncio.to_thread(uploader, svc, request, eid, json_post=True)
        body = await _json_object(request)
        await asyncio.to_thread(_checked, sealed.submit_shuffle, svc, eid, cid, body)
        return {"accepted": "shuffle"}

    @app.post("/e/{eid}/sealed/{cid}/decryption")
    async def post_decryption(request: Request, eid: str, cid: str) -> Any:
        await asyncio.to_thread(uploader, svc, request, eid, json_post=True)
        body = await _json_object(request)
        needed = await asyncio.to_thread(_checked, sealed.submit_decryption, svc, eid, cid, body)
        # at 0 needed the opening is a job (box:sealed-open): record.json follows it
        opened = await asyncio.to_thread(sealed.opened, svc, eid, cid)
        return {"accepted": "decryption", "needed": needed, "opened": opened}

    @app.get("/e/{eid}/opening", response_class=HTMLResponse)
    async def opening_page(request: Request, eid: str) -> Response:
        e = await asyncio.to_thread(core.public_election, svc, eid, False)
        status = await asyncio.to_thread(sealed.opening_status, svc, eid)
        return page(
            request, "opening.html", title=f"Opening the box: {e['title']}", e=e, contests=status
        )

    @app.post("/e/{eid}/sealed/{cid}/upload", response_class=HTMLResponse)
    async def upload(request: Request, eid: str, cid: str) -> Response:
        # no JavaScript: a form posting the file made by `tallyroom trustee mix` or
        # `tallyroom trustee decrypt`; what it holds is checked as its own POST checks it.
        # The sender is checked before the form is read: the form may be large
        await asyncio.to_thread(uploader, svc, request, eid, json_post=False)
        form = await request.form()
        sent = str(form.get("csrf", ""))
        if not sent or not hmac.compare_digest(sent, str(request.session.get("csrf", ""))):
            raise core.Forbidden("this form has expired: go back, reload the page and try again")
        f = form.get("file")
        if f is None or isinstance(f, str):
            raise core.ServiceError("choose the file to upload")
        raw = await f.read()
        try:
            message = json.loads(raw)
        except ValueError as err:
            raise core.ServiceError(f"{f.filename}: not JSON ({err})") from None
        said = await asyncio.to_thread(_checked, sealed.submit, svc, eid, cid, message)
        return page(
            request,
            "message.html",
            title="Accepted",
            message=said,
            lines=[f"Back to the opening page: /e/{eid}/opening"],
        )

    @app.get("/e/{eid}/sealed/{cid}/record.json")
    async def record_json(eid: str, cid: str) -> Response:
        data = await asyncio.to_thread(sealed.record, svc, eid, cid)
        return Response(data, media_type="application/json")


async def _json_object(request: Request) -> dict[str, Any]:
    """The posted JSON object; anything else is refused (400), never a server error."""
    try:
        body = await request.json()
    except ValueError:
        raise core.ServiceError("the request's body is not JSON") from None
    if not isinstance(body, dict):
        raise core.ServiceError("the request's body must be a JSON object")
    return body


def _checked(submit: Callable[..., Any], *args: Any) -> Any:
    try:
        return submit(*args)
    except core.ServiceError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as err:
        # a field missing or of the wrong kind in a posted shuffle or decryption
        raise core.ServiceError(f"not a valid submission: {err!r}") from None
