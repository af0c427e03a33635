"""The review web page: a Starlette app on uvicorn, bound to 127.0.0.1 only.

Security, in the order a request meets it (`Guard`):
- the Host header must name this server (127.0.0.1 or localhost on our port): a page elsewhere
  cannot reach us through DNS rebinding;
- the access token (random, printed in the URL's fragment: `/#token=...`) must come in the
  `X-SRS-Token` header of every request for data. A fragment never leaves the browser; the page's
  script moves it into the tab's sessionStorage (one origin = this port only) and takes it out of
  the address bar. No cookie: cookies are shared by every port of 127.0.0.1, so any other local
  service the browser visited received one, and a second review session replaced the first's.
  Only the page's shell (its HTML, script, style; no data, no secret) is served without it;
- a state-changing request is a POST of JSON with an `Origin` of this server and the page's CSRF
  token in `X-CSRF-Token`; every other method is refused;
- request bodies are bounded (`WebParams.max_body_bytes`), and a decision's fields are checked one
  by one (`parse_decision`: whole numbers, finite numbers, flat JSON): 400, never a 500;
- a request must arrive whole within a deadline, and idle connections make room for new ones
  (`connections.py`), so silent or trickling connections cannot lock the reviewer out;
- every answer says `Cache-Control: no-store` and carries a strict Content-Security-Policy.
uvicorn's access log is off and nothing here logs: URLs and answers carry client codes.

What it does not do: decide anything (`review.py`), or print (`cli/review.py` prints the URL).
"""

from __future__ import annotations

import hashlib
import hmac
import html
import re
import secrets
import socket
from collections.abc import Callable
from contextlib import asynccontextmanager
from dataclasses import asdict
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from srs_scan.errors import UsageError
from srs_scan.review.bodies import BadRequest, BodyTooLarge, WebParams, parse_decision, parse_identity
from srs_scan.review.connections import ConnectionParams, protocol_class
from srs_scan.fileio import write_atomic
from srs_scan.review.decisions import (
    PAGE, ChangedMeanwhile, Params, QueueEntry, ReviewError, ReviewLog, StoredPage, crop_box_mm,
    is_settled, line_ends_x_mm, page_outcome, queue,
)
from srs_scan.sheets.spec import FormLibrary
from srs_scan.batch.store import ResultStore

STATIC = Path(__file__).resolve().parent / "static"
LOOPBACK = "127.0.0.1"
PUBLIC = {"/", "/favicon.ico", "/static/shared.js", "/static/review.js", "/static/review.css"}  # no data, no secret


def new_token(params: WebParams = WebParams()) -> str:
    return secrets.token_urlsafe(params.token_bytes)


def csrf_token(token: str) -> str:
    """Given to the page in its HTML, sent back in a header: a cross-site form cannot know it."""
    return hmac.new(token.encode(), b"srs-scan csrf", hashlib.sha256).hexdigest()


def launcher_page(url: str, folder: Path, page_name: str = "review") -> Path:
    """A page in `folder` that sends the browser on to `url`, readable by this user only.

    The browser is started with this file's path, not with `url`: a program's command line is
    visible to every user of the computer, and `url` carries the access token.
    """
    page = folder / f"open-{page_name}.html"
    target = html.escape(url, quote=True)
    write_atomic(page, (f'<!doctype html><meta charset="utf-8"><title>srs-scan {page_name}</title>'
                        f'<meta http-equiv="refresh" content="0;url={target}">'
                        f'<p><a href="{target}">Open the {page_name} page</a></p>\n').encode())
    return page


def bind_loopback(port: int = 0, host: str = LOOPBACK) -> socket.socket:
    """A listening socket on 127.0.0.1; any other address is refused (client data stays local)."""
    if host != LOOPBACK:
        raise UsageError(f"the review page listens on {LOOPBACK} only, not {host}")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((LOOPBACK, port))
    except OSError as exc:
        sock.close()
        raise UsageError(f"cannot listen on {LOOPBACK}:{port}: {exc.strerror}") from None
    sock.listen(64)
    return sock


UPLOAD_TYPES = {"image/jpeg", "image/png"}


class Guard:
    """ASGI middleware: host, token, CSRF, method and body-size checks before any route runs.

    `public`: the paths served without the token (the page's shell); `uploads`: the paths whose
    POST body is a JPEG or PNG picture (up to `max_upload_bytes`) rather than JSON."""

    def __init__(self, app: Callable, token: str, port: int, params: WebParams,
                 public: frozenset[str] = frozenset(PUBLIC), uploads: frozenset[str] = frozenset()) -> None:
        self.app, self.token, self.params = app, token, params
        self.public, self.uploads = public, uploads
        self.hosts = {f"{LOOPBACK}:{port}", f"localhost:{port}"}
        self.origins = {f"http://{host}" for host in self.hosts}
        self.csrf = csrf_token(token)

    def _valid(self, candidate: str | None, expected: str) -> bool:
        return bool(candidate) and hmac.compare_digest(candidate.encode(), expected.encode())

    def problem(self, request: Request) -> tuple[int, str] | None:
        if request.headers.get("host") not in self.hosts:
            return 403, "wrong host"
        public = request.url.path in self.public and request.method in ("GET", "HEAD")
        if not (public or self._valid(request.headers.get("x-srs-token"), self.token)):
            return 401, "open the link that srs-scan printed when it started this page (it carries the access token)"
        if request.method in ("GET", "HEAD"):
            return None
        if request.method != "POST":
            return 405, "method not allowed"
        if request.headers.get("origin") not in self.origins:
            return 403, "cross-site request refused"
        if not self._valid(request.headers.get("x-csrf-token"), self.csrf):
            return 403, "cross-site request refused"
        upload = request.url.path in self.uploads
        if request.headers.get("content-type", "").split(";")[0].strip() not in (
                UPLOAD_TYPES if upload else {"application/json"}):
            return 415, "a JPEG or PNG picture only" if upload else "JSON only"
        length = request.headers.get("content-length")
        if length is None or not length.isdigit():
            return 411, "length required"
        if int(length) > self.limit(request.url.path):
            return 413, "request too large"
        return None

    def limit(self, path: str) -> int:
        return self.params.max_upload_bytes if path in self.uploads else self.params.max_body_bytes

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        problem = self.problem(Request(scope))
        send = _with_headers(send)
        if problem:
            return await PlainTextResponse(problem[1], problem[0])(scope, receive, send)
        try:
            return await self.app(scope, _bounded(receive, self.limit(scope["path"])), send)
        except Exception:  # noqa: BLE001 - answered already (`internal_error`); no traceback on the terminal
            return None


async def internal_error(request: Request, exc: Exception) -> Response:
    """The answer to a request that failed in srs-scan's own code (Starlette re-raises it afterwards,
    and `Guard` drops it there: a terminal shows no traceback, a log holds no URL or client code)."""
    if isinstance(exc, BodyTooLarge):
        return JSONResponse({"error": "request too large"}, 413)
    return JSONResponse({"error": f"an internal error in srs-scan ({type(exc).__name__}); please report "
                                  "it. Reload the page to go on."}, 500)


ERROR_HANDLERS = {Exception: internal_error}  # Starlette(exception_handlers=...) of each page's app


SECURITY_HEADERS = [
    (b"cache-control", b"no-store"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy",
     b"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; "
     b"connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"),
]


def _with_headers(send: Callable) -> Callable:
    async def wrapped(message: dict) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), *SECURITY_HEADERS]}
        await send(message)
    return wrapped


def _bounded(receive: Callable, limit: int) -> Callable:
    """A body longer than its Content-Length said is cut off, not read into memory."""
    seen = 0

    async def wrapped() -> dict:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge("request body too large")
        return message
    return wrapped


def log_lifespan(db_path: Path, params: Params, state: dict) -> Callable:
    """Open the store (one SQLite connection) for the app's lifetime and keep its ReviewLog in
    state["log"]; the review and session pages share this."""
    @asynccontextmanager
    async def lifespan(_app: Starlette):
        store = ResultStore(db_path)
        state["log"] = ReviewLog(store, params)
        try:
            yield
        finally:
            store.close()
    return lifespan


def create_app(db_path: Path, forms: FormLibrary, token: str, port: int,
               params: Params = Params(), web: WebParams = WebParams()) -> Callable:
    """The review app. All endpoints are async and run on one thread: one SQLite connection."""
    state: dict[str, ReviewLog] = {}
    lifespan = log_lifespan(db_path, params, state)

    def log() -> ReviewLog:
        return state["log"]

    async def index(_request: Request) -> Response:
        # the shell only: the script takes the token from the fragment, then asks for the data
        return FileResponse(STATIC / "review.html", media_type="text/html")

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in ("shared.js", "review.js", "review.css"):
            return PlainTextResponse("not found", 404)
        return FileResponse(STATIC / name)

    async def queue_api(_request: Request) -> Response:
        return JSONResponse({**queue_payload(log(), forms, params), "csrf": csrf_token(token)})

    async def favicon(_request: Request) -> Response:
        return Response(status_code=204)

    routes = [
        Route("/", index),
        Route("/favicon.ico", favicon),
        Route("/static/{name}", static),
        Route("/api/queue", queue_api),
        *decision_routes(log, forms, params, web),
    ]
    return Guard(Starlette(routes=routes, lifespan=lifespan, exception_handlers=ERROR_HANDLERS), token, port, web)


def decision_routes(log: Callable[[], ReviewLog], forms: FormLibrary, params: Params,
                    web: WebParams) -> list[Route]:
    """A stored page's sheet picture, and a person's decisions on it (an item's mark, the page's
    identity): the review page's, and the session page's for a flagged item."""

    async def sheet(request: Request) -> Response:
        page = request.path_params["page"]
        if not re.fullmatch(r"[0-9]{1,10}", page) or int(page) > web.max_page:
            return PlainTextResponse("no picture kept for this page", 404)
        jpeg = log().store.sheet_jpeg(request.path_params["digest"], int(page))
        if jpeg is None:
            return PlainTextResponse("no picture kept for this page", 404)
        return Response(jpeg, media_type="image/jpeg")

    async def decide(request: Request) -> Response:
        try:
            body = parse_decision(await request.body(), web)
            digest, page = body["hash"], body["page"]
            stored = log().page(digest, page)
            log().decide(digest, page, body.get("item_id", ""), body["action"], body.get("reviewer", ""),
                         x_mm=body.get("x_mm"), candidate=body.get("candidate"), note=body.get("note", ""),
                         spec=forms.get((stored.result.form_id, stored.result.form_version)),
                         seen=body["seen"])
        except ChangedMeanwhile as exc:  # the page shows the message and what was decided meanwhile
            fresh = page_payload(log(), log().page(digest, page), forms, params)
            return JSONResponse({"error": str(exc), "page": fresh}, 409)
        except ReviewError as exc:  # BadRequest is a ValueError too, not a ReviewError
            return JSONResponse({"error": str(exc)}, 400)
        except BadRequest as exc:
            return JSONResponse({"error": f"malformed request: {exc}"}, 400)
        return JSONResponse({"page": page_payload(log(), log().page(digest, page), forms, params)})

    async def identity(request: Request) -> Response:
        """Client code, session and date typed for a sheet that has none: one audit row per field."""
        from srs_scan.review.identity import IdentityError, IdentityLog

        try:
            body = parse_identity(await request.body(), web)
            digest, page = body["hash"], body["page"]
            stored = log().page(digest, page)
            IdentityLog(log().store).record(
                digest, page, stored.result.sheet,
                {f: body.get(f, "") for f in ("client_code", "session", "date")}, body.get("reviewer", ""))
        except (IdentityError, ReviewError) as exc:
            return JSONResponse({"error": str(exc)}, 400)
        except BadRequest as exc:
            return JSONResponse({"error": f"malformed request: {exc}"}, 400)
        return JSONResponse({"page": page_payload(log(), log().page(digest, page), forms, params)})

    return [
        Route("/sheet/{digest:str}/{page:str}.jpg", sheet),
        Route("/api/decide", decide, methods=["POST"]),
        Route("/api/identity", identity, methods=["POST"]),
    ]


def page_payload(log: ReviewLog, stored: StoredPage, forms: FormLibrary, params: Params) -> dict:
    """One page for the browser: sheet id, every item's line geometry, candidates and decisions."""
    result = stored.result
    spec = forms.get((result.form_id, result.form_version))
    from srs_scan.review.identity import IdentityLog, identity_of

    decisions = log.decisions(stored.content_hash, result.page)
    latest = {d.item_id: d for d in decisions}
    typed = IdentityLog(log.store).typed().get((stored.content_hash, result.page), {})
    sheet = identity_of(result.sheet, typed)
    # the kept sheet is the content block warped into the form frame: its extent is the block's
    has_sheet = spec is not None and log.store.has_sheet_jpeg(stored.content_hash, result.page)
    items = []
    for item in result.items:
        form_item = next((i for i in spec.items if i.id == item.item_id), None) if spec else None
        ends = line_ends_x_mm(item, spec) if spec else None
        decided = latest.get(item.item_id)
        items.append({
            "item_id": item.item_id,
            "heading": form_item.heading if form_item else item.item_id,
            "prompt": form_item.prompt if form_item else "",
            "value_cm": item.value_cm,
            "flags": list(item.flags),
            "y_mm": form_item.y_mm if form_item else None,
            "ends_mm": list(ends) if ends else None,
            "scale_max": spec.scale_max if spec else None,  # the value formula's, for valueAt
            "step_cm": params.value_step_cm,
            "crop_mm": list(crop_box_mm(spec, form_item.y_mm, ends, params)) if form_item and ends else None,
            "candidates": [asdict(c) for c in item.candidates],
            "decision": _decision(decided),
        })
    return {
        "key": f"{stored.content_hash}/{result.page}",
        "hash": stored.content_hash, "page": result.page, "file": Path(result.file).name,
        "read_at": stored.read_at,
        "serial": sheet.serial if sheet else "", "client_code": sheet.client_code if sheet else "",
        "session": sheet.session if sheet else "", "date": sheet.date if sheet else "",
        "identity_typed": bool(typed),
        "flags": list(result.flags),
        "has_sheet": has_sheet,
        "sheet_mm": [spec.block_w_mm, spec.block_h_mm] if spec else None,
        "fields_mm": list(fields_box_mm(spec)) if spec and spec.fields else None,  # where it is written
        "items": items,
        "decision": _decision(latest.get(PAGE)),
        "outcome": page_outcome(latest),  # the page decision that counts (a later mark undoes F)
        "seen": decisions[-1].id if decisions else None,  # sent back with a decision: see `decide`
    }


def fields_box_mm(spec, margin_mm: float = 6.0) -> tuple[float, float, float, float]:
    """(x0, y0, width, height) in the form frame around the sheet's written fields (client code,
    session, date) and their labels, to show beside the identity entry."""
    label = spec.text.field_label_above + 4.0  # the label above each field's underline
    x0 = max(0.0, min(f.x_mm for f in spec.fields) - margin_mm)
    x1 = min(spec.block_w_mm, max(f.x_mm + f.width_mm for f in spec.fields) + margin_mm)
    y0 = max(0.0, min(f.y_mm for f in spec.fields) - label - margin_mm / 3)  # not the title above
    y1 = min(spec.block_h_mm, max(f.y_mm for f in spec.fields) + margin_mm)
    return x0, y0, x1 - x0, y1 - y0


def queue_payload(log: ReviewLog, forms: FormLibrary, params: Params) -> dict:
    """The flagged items (kind "flag"), then every sheet without a client code (kind "identify")."""
    from srs_scan.review.identity import IDENTIFY_REASON, identity_queue

    pages = list(log.pages())
    entries: list[QueueEntry] = queue(pages)
    unidentified = identity_queue(log, pages)
    by_key = {(p.content_hash, p.result.page): p for p in pages}
    wanted = dict.fromkeys([*((e.content_hash, e.page) for e in entries),
                            *((u.page.content_hash, u.page.result.page) for u in unidentified)])
    payloads = {f"{d}/{p}": page_payload(log, by_key[(d, p)], forms, params) for d, p in wanted}
    latest = {key: log.latest(*key) for key in wanted}
    flagged = [{"page_key": f"{e.content_hash}/{e.page}", "item_id": e.item_id, "reason": e.reason,
                "kind": "flag", "settled": is_settled(e, latest[(e.content_hash, e.page)])} for e in entries]
    identify = [{"page_key": f"{u.page.content_hash}/{u.page.result.page}", "item_id": PAGE,
                 "reason": IDENTIFY_REASON, "kind": "identify", "settled": u.settled} for u in unidentified]
    return {"pages": payloads, "entries": [*flagged, *identify]}


def _decision(decision) -> dict | None:
    if decision is None:
        return None
    return {"id": decision.id, "action": decision.action, "new_value": decision.new_value, "old_value": decision.old_value,
            "reviewer": decision.reviewer, "at": decision.at}


def server_config(app: Callable, connections: ConnectionParams = ConnectionParams()):
    """uvicorn's settings: only warnings are logged, never a request line; every request has a
    deadline to arrive and idle connections make room (`connections.py`), so no number of silent
    or trickling connections turns the reviewer away."""
    import uvicorn

    return uvicorn.Config(app, log_level="warning", access_log=False, server_header=False,
                          date_header=False, http=protocol_class(connections),
                          timeout_keep_alive=connections.keep_alive_s)


def serve(app: Callable, sock: socket.socket) -> None:
    """Run until Ctrl-C."""
    import uvicorn

    uvicorn.Server(server_config(app)).run(sockets=[sock])
