"""The review web page: a Starlette app on uvicorn, bound to 127.0.0.1 only.

Security, in the order a request meets it (`Guard`):
- the Host header must name this server (127.0.0.1 or localhost on our port): a page elsewhere
  cannot reach us through DNS rebinding;
- the access token (random, printed in the URL) must come with every request: as `?token=` on the
  first page only, which answers with an HttpOnly, SameSite=Strict cookie and a page that moves
  on to "/", taking the token out of the address bar; after that the cookie (or an `X-SRS-Token` header);
- a state-changing request is a POST of JSON with an `Origin` of this server and the page's CSRF
  token in `X-CSRF-Token`; every other method is refused;
- request bodies are bounded (`WebParams.max_body_bytes`);
- every answer says `Cache-Control: no-store` and carries a strict Content-Security-Policy.
uvicorn's access log is off and nothing here logs: URLs and answers carry client codes.

What it does not do: decide anything (`review.py`), or print (`cli.py` prints the URL).
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import secrets
import socket
from collections.abc import Callable
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from srs_scan.errors import UsageError
from srs_scan.fileio import write_atomic
from srs_scan.review.decisions import (
    PAGE, Params, QueueEntry, ReviewError, ReviewLog, StoredPage, crop_box_mm, is_settled,
    line_ends_x_mm, page_outcome, queue,
)
from srs_scan.sheets.spec import FormLibrary
from srs_scan.batch.store import ResultStore

STATIC = Path(__file__).resolve().parent / "static"
LOOPBACK = "127.0.0.1"
COOKIE = "srs_review_token"


@dataclass(frozen=True)
class WebParams:
    max_body_bytes: int = 16 * 1024  # a decision is ~200 bytes; anything big is not ours
    token_bytes: int = 32            # secrets.token_urlsafe: 256 bits


def new_token(params: WebParams = WebParams()) -> str:
    return secrets.token_urlsafe(params.token_bytes)


def csrf_token(token: str) -> str:
    """Given to the page in its HTML, sent back in a header: a cross-site form cannot know it."""
    return hmac.new(token.encode(), b"srs-scan csrf", hashlib.sha256).hexdigest()


MOVE_ON = ('<!doctype html><meta charset="utf-8"><title>srs-scan review</title>'
           '<meta http-equiv="refresh" content="0;url=/"><p><a href="/">Open the review page</a></p>\n')


def launcher_page(url: str, folder: Path) -> Path:
    """A page in `folder` that sends the browser on to `url`, readable by this user only.

    The browser is started with this file's path, not with `url`: a program's command line is
    visible to every user of the computer, and `url` carries the access token.
    """
    page = folder / "open-review.html"
    target = html.escape(url, quote=True)
    write_atomic(page, (f'<!doctype html><meta charset="utf-8"><title>srs-scan review</title>'
                        f'<meta http-equiv="refresh" content="0;url={target}">'
                        f'<p><a href="{target}">Open the review page</a></p>\n').encode())
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


class Guard:
    """ASGI middleware: host, token, CSRF, method and body-size checks before any route runs."""

    def __init__(self, app: Callable, token: str, port: int, params: WebParams) -> None:
        self.app, self.token, self.params = app, token, params
        self.hosts = {f"{LOOPBACK}:{port}", f"localhost:{port}"}
        self.origins = {f"http://{host}" for host in self.hosts}
        self.csrf = csrf_token(token)

    def _valid(self, candidate: str | None, expected: str) -> bool:
        return bool(candidate) and hmac.compare_digest(candidate.encode(), expected.encode())

    def problem(self, request: Request) -> tuple[int, str] | None:
        if request.headers.get("host") not in self.hosts:
            return 403, "wrong host"
        first_page = request.url.path == "/" and request.method == "GET"
        if not (self._valid(request.cookies.get(COOKIE), self.token)
                or self._valid(request.headers.get("x-srs-token"), self.token)
                or first_page and self._valid(request.query_params.get("token"), self.token)):
            return 401, "open the link that `srs-scan review` printed (it carries the access token)"
        if request.method in ("GET", "HEAD"):
            return None
        if request.method != "POST":
            return 405, "method not allowed"
        if request.headers.get("origin") not in self.origins:
            return 403, "cross-site request refused"
        if not self._valid(request.headers.get("x-csrf-token"), self.csrf):
            return 403, "cross-site request refused"
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            return 415, "JSON only"
        length = request.headers.get("content-length")
        if length is None or not length.isdigit():
            return 411, "length required"
        if int(length) > self.params.max_body_bytes:
            return 413, "request too large"
        return None

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        problem = self.problem(Request(scope))
        send = _with_headers(send)
        if problem:
            return await PlainTextResponse(problem[1], problem[0])(scope, receive, send)
        return await self.app(scope, _bounded(receive, self.params.max_body_bytes), send)


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
                raise ValueError("request body too large")
        return message
    return wrapped


def create_app(db_path: Path, forms: FormLibrary, token: str, port: int,
               params: Params = Params(), web: WebParams = WebParams()) -> Callable:
    """The review app. All endpoints are async and run on one thread: one SQLite connection."""
    state: dict[str, ReviewLog] = {}

    @asynccontextmanager
    async def lifespan(_app: Starlette):
        store = ResultStore(db_path)
        state["log"] = ReviewLog(store, params)
        try:
            yield
        finally:
            store.close()

    def log() -> ReviewLog:
        return state["log"]

    async def index(request: Request) -> Response:
        if "token" in request.query_params:
            # The token moves from the URL (history, screen) into an HttpOnly cookie, and this page
            # sends the browser on to "/". Not an HTTP redirect: arriving from the launcher file
            # (`launcher_page`) the redirect would belong to a cross-site navigation, on which the
            # browser withholds a SameSite=Strict cookie; a navigation this page starts is same-site.
            response = HTMLResponse(MOVE_ON)
            response.set_cookie(COOKIE, token, httponly=True, samesite="strict", path="/")
            return response
        html = (STATIC / "review.html").read_text(encoding="utf-8")
        return HTMLResponse(html.replace("{{csrf}}", csrf_token(token)))

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in ("review.js", "review.css"):
            return PlainTextResponse("not found", 404)
        return FileResponse(STATIC / name)

    async def queue_api(_request: Request) -> Response:
        return JSONResponse(queue_payload(log(), forms, params))

    async def sheet(request: Request) -> Response:
        jpeg = log().store.sheet_jpeg(request.path_params["digest"], request.path_params["page"])
        if jpeg is None:
            return PlainTextResponse("no picture kept for this page", 404)
        return Response(jpeg, media_type="image/jpeg")

    async def decide(request: Request) -> Response:
        try:
            body = json.loads(await request.body())
            digest, page, item_id = str(body["hash"]), int(body["page"]), str(body.get("item_id", ""))
            x_mm = float(body["x_mm"]) if body.get("x_mm") is not None else None
            candidate = int(body["candidate"]) if body.get("candidate") is not None else None
            stored = log().page(digest, page)
            log().decide(digest, page, item_id, str(body["action"]), str(body.get("reviewer", "")),
                         x_mm=x_mm, candidate=candidate, note=str(body.get("note", "")),
                         spec=forms.get((stored.result.form_id, stored.result.form_version)))
        except (ValueError, KeyError, TypeError) as exc:  # ReviewError is a ValueError
            message = str(exc) if isinstance(exc, ReviewError) else "malformed request"
            return JSONResponse({"error": message}, 400)
        return JSONResponse({"page": page_payload(log(), log().page(digest, page), forms, params)})

    async def identity(request: Request) -> Response:
        """Client code, session and date typed for a sheet that has none: one audit row per field."""
        from srs_scan.review.identity import IdentityError, IdentityLog

        try:
            body = json.loads(await request.body())
            digest, page = str(body["hash"]), int(body["page"])
            stored = log().page(digest, page)
            IdentityLog(log().store).record(
                digest, page, stored.result.sheet,
                {f: str(body.get(f, "")) for f in ("client_code", "session", "date")},
                str(body.get("reviewer", "")))
        except IdentityError as exc:
            return JSONResponse({"error": str(exc)}, 400)
        except (ValueError, KeyError, TypeError) as exc:
            message = str(exc) if isinstance(exc, ReviewError) else "malformed request"
            return JSONResponse({"error": message}, 400)
        return JSONResponse({"page": page_payload(log(), log().page(digest, page), forms, params)})

    async def favicon(_request: Request) -> Response:
        return Response(status_code=204)

    routes = [
        Route("/", index),
        Route("/favicon.ico", favicon),
        Route("/static/{name}", static),
        Route("/api/queue", queue_api),
        Route("/sheet/{digest:str}/{page:int}.jpg", sheet),
        Route("/api/decide", decide, methods=["POST"]),
        Route("/api/identity", identity, methods=["POST"]),
    ]
    return Guard(Starlette(routes=routes, lifespan=lifespan), token, port, web)


def page_payload(log: ReviewLog, stored: StoredPage, forms: FormLibrary, params: Params) -> dict:
    """One page for the browser: sheet id, every item's line geometry, candidates and decisions."""
    result = stored.result
    spec = forms.get((result.form_id, result.form_version))
    from srs_scan.review.identity import IdentityLog, identity_of

    latest = log.latest(stored.content_hash, result.page)
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
        "items": items,
        "decision": _decision(latest.get(PAGE)),
        "outcome": page_outcome(latest),  # the page decision that counts (a later mark undoes F)
    }


def queue_payload(log: ReviewLog, forms: FormLibrary, params: Params) -> dict:
    pages = list(log.pages())
    entries: list[QueueEntry] = queue(pages)
    by_key = {(p.content_hash, p.result.page): p for p in pages}
    wanted = dict.fromkeys((e.content_hash, e.page) for e in entries)
    payloads = {f"{d}/{p}": page_payload(log, by_key[(d, p)], forms, params) for d, p in wanted}
    latest = {key: log.latest(*key) for key in wanted}
    return {
        "pages": payloads,
        "entries": [{"page_key": f"{e.content_hash}/{e.page}", "item_id": e.item_id, "reason": e.reason,
                     "settled": is_settled(e, latest[(e.content_hash, e.page)])} for e in entries],
    }


def _decision(decision) -> dict | None:
    if decision is None:
        return None
    return {"id": decision.id, "action": decision.action, "new_value": decision.new_value, "old_value": decision.old_value,
            "reviewer": decision.reviewer, "at": decision.at}


def serve(app: Callable, sock: socket.socket) -> None:
    """Run until Ctrl-C. Only warnings are logged, never a request line."""
    import uvicorn

    config = uvicorn.Config(app, log_level="warning", access_log=False, server_header=False,
                            date_header=False, limit_concurrency=32, timeout_keep_alive=5)
    uvicorn.Server(config).run(sockets=[sock])

