"""The in-session page (`srs-scan session`): camera frames in, a confident reading out, stored on confirm.

The same server model as review (`web.py`): 127.0.0.1 only, the token in the URL's fragment and in
a header, CSRF and Origin checks on every change, bounded bodies, no logging. Frames and dropped
photos are POSTed as the picture itself (JPEG or PNG, `WebParams.max_upload_bytes`).

- `/api/frame`: one camera frame, read by `camera.read_frame`; the answer is a plain hint, how many
  frames agree so far, or (once `CameraParams.frames_needed` frames agree) the reading with its
  values, total, alerts and the client's chart with this session added. Never a value before.
- `/api/photo`: a dropped photo, read once (`camera.read_photo`).
- `/api/again`: forget the frames and the reading: read from the start.
- `/api/confirm`: store the reading like a scanned page (`store_reading`), with the picture that
  was read kept in `camera_frames` and sealed in the chain; a sheet without a client code in its
  QR code needs the typed client code, session and date (the review's identity rule).
- the review's decision routes (`web.decision_routes`): a flagged item's crop and the click on it.

Nothing is written before confirm: frames live in memory, one reading at a time. The sheet's serial
makes the front desk's later scan of the same sheet a `duplicate_sheet` (`store.with_duplicate_flag`),
never a second session; a sheet already in the store is not stored again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from srs_scan.batch import ledger
from srs_scan.batch.pipeline import registered_sheet_jpeg
from srs_scan.batch.store import ResultStore
from srs_scan.clinical.settings import Settings
from srs_scan.review.bodies import BadRequest, WebParams, json_object
from srs_scan.review.camera import HINTS, Accumulator, CameraParams, Candidate, NotAPicture, decode, read_frame, read_photo
from srs_scan.review.decisions import Params, ReviewLog
from srs_scan.review.identity import IdentityLog
from srs_scan.review.session_view import clinical_view, reading_view
from srs_scan.review.web import ERROR_HANDLERS, Guard, csrf_token, decision_routes, log_lifespan, page_payload
from srs_scan.sheets.sheetid import identity_problem
from srs_scan.sheets.spec import FormLibrary, library_fingerprint

STATIC = Path(__file__).resolve().parent / "static"
PUBLIC = frozenset({"/", "/favicon.ico", "/static/session.js", "/static/session.css", "/static/shared.js"})
STATIC_FILES = ("session.js", "session.css", "shared.js")
UPLOADS = frozenset({"/api/frame", "/api/photo"})
CONFIRM_FIELDS = frozenset({"reading", "therapist", "client_code", "session", "date"})



class NotStored(ValueError):
    """A confirm that cannot be stored: the message says why, in words."""


def stored_owner(store: ResultStore, serial: str) -> tuple[str, int, str] | None:
    """(content hash, page, read at) of the page that holds this sheet serial, if any."""
    row = store.db.execute("SELECT s.content_hash, s.page, p.read_at FROM serials s LEFT JOIN pages p "
                           "ON p.content_hash = s.content_hash AND p.page = s.page WHERE s.serial=?",
                           (serial,)).fetchone()
    return (row[0], row[1], row[2] or "") if row else None


def store_reading(store: ResultStore, forms: FormLibrary, candidate: Candidate, therapist: str,
                  typed: dict[str, str]) -> tuple[str, int]:
    """Keep a confirmed reading as a page of the store; (content hash, page). Its key is the
    picture's hash. A sheet whose serial (or a picture that) is already stored is refused."""
    therapist = " ".join(therapist.split())[:60]
    if not therapist:
        raise NotStored("type your name first: it is kept with the reading")
    result = candidate.result
    digest = hashlib.sha256(candidate.frame).hexdigest()
    serial = result.sheet.serial if result.sheet else ""
    owner = stored_owner(store, serial) if serial else None
    if owner is not None:
        raise NotStored(f"this sheet (serial {serial}) is already in the results store, read "
                        f"{owner[2].replace('T', ' ')[:16] or 'earlier'} UTC: nothing was added")
    if store.get(digest, 1) is not None:
        raise NotStored("this very picture is already in the results store: nothing was added")
    needs_identity = not (result.sheet and result.sheet.client_code)
    if needs_identity:
        problem = identity_problem(*(typed.get(f, "").strip() for f in ("client_code", "session", "date")))
        if problem:
            raise NotStored(f"this sheet has no client code in its QR code: {problem}")
    when = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    kind = "png" if candidate.frame.startswith(b"\x89PNG") else "jpg"
    result = replace(result, file=f"session-{candidate.source}-{when}.{kind}", page=1)
    spec = forms.get((result.form_id, result.form_version))
    with store.run("session"):  # a run of its own: the report's "today's batch" (batch/store.py)
        store.put(digest, result, registered_sheet_jpeg(candidate.image, result, spec), library_fingerprint(forms))
    with store.transaction():
        if store.db.execute("INSERT OR IGNORE INTO camera_frames VALUES (?, 1, ?, ?, ?)",
                            (digest, candidate.source, therapist, candidate.frame)).rowcount:
            ledger.record(store.db, "camera_frames", digest, 1)
    if needs_identity:
        IdentityLog(store).record(digest, 1, result.sheet, typed, therapist)
    return digest, 1


def parse_confirm(raw: bytes, web: WebParams) -> dict[str, str]:
    body = json_object(raw, web)
    if "reading" not in body or body.keys() - CONFIRM_FIELDS:
        raise BadRequest("a confirm has reading, therapist, and for a sheet without a client code "
                         "client_code, session and date")
    for name in body:
        if not isinstance(body[name], str) or len(body[name]) > web.max_text_chars:
            raise BadRequest(f"{name} must be text")
    return body


def create_session_app(db_path: Path, forms: FormLibrary, settings: Settings, token: str, port: int,
                       camera: CameraParams = CameraParams(), params: Params = Params(),
                       web: WebParams = WebParams()) -> Callable:
    """The session app. One camera stream at a time (one therapist, one camera): a second tab's
    frames would mix with the first's, and the agreement rule makes that a hint, never a value."""
    state: dict = {"frames": Accumulator(camera)}

    lifespan = log_lifespan(db_path, params, state)

    def log() -> ReviewLog:
        return state["log"]

    def answer(hint: str, candidate: Candidate | None) -> dict:
        frames: Accumulator = state["frames"]
        if candidate is None:
            hint = hint or ("unsettled" if frames.unsettled else "")
            return {"state": "hint" if hint else "reading", "hint": HINTS.get(hint, ""),
                    "agree": frames.agreeing, "needed": camera.frames_needed}
        return {"state": "confident", "reading": reading_view(candidate, forms, log().store, settings)}

    async def index(_request: Request) -> Response:
        return FileResponse(STATIC / "session.html", media_type="text/html")

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in STATIC_FILES:
            return PlainTextResponse("not found", 404)
        return FileResponse(STATIC / name)

    async def start(_request: Request) -> Response:
        return JSONResponse({"csrf": csrf_token(token), "needed": camera.frames_needed,
                             "store": db_path.name})

    async def frame(request: Request) -> Response:
        frames: Accumulator = state["frames"]
        data = await request.body()
        try:
            image = decode(data, camera)
        except NotAPicture as exc:
            return JSONResponse({"error": str(exc)}, 400)
        if frames.confident is not None:  # a reading is on the page: nothing changes it but "again"
            return JSONResponse(answer("", frames.confident))
        read = await run_in_threadpool(read_frame, image, forms, frames.previous, camera)
        return JSONResponse(answer(read.hint, frames.add(read, data, image)))

    async def photo(request: Request) -> Response:
        frames: Accumulator = state["frames"]
        try:
            read, candidate = await run_in_threadpool(read_photo, await request.body(), forms, camera)
        except NotAPicture as exc:
            return JSONResponse({"error": str(exc)}, 400)
        frames.reset()
        frames.confident = candidate
        return JSONResponse(answer(read.hint, candidate))

    async def again(_request: Request) -> Response:
        state["frames"].reset()
        return JSONResponse({"state": "hint", "hint": HINTS["no_sheet"], "agree": 0, "needed": camera.frames_needed})

    async def confirm(request: Request) -> Response:
        frames: Accumulator = state["frames"]
        try:
            body = parse_confirm(await request.body(), web)
            candidate = frames.confident
            if candidate is None or candidate.id != body["reading"]:
                raise NotStored("this reading is no longer on the page: read the sheet again")
            key = store_reading(log().store, forms, candidate, body.get("therapist", ""), body)
        except NotStored as exc:
            return JSONResponse({"error": str(exc)}, 400)
        except BadRequest as exc:
            return JSONResponse({"error": f"malformed request: {exc}"}, 400)
        page = page_payload(log(), log().page(*key), forms, params)
        frames.reset()
        return JSONResponse({"page": page, "clinical": clinical_view(log().store, settings, key, page)})

    async def favicon(_request: Request) -> Response:
        return Response(status_code=204)

    routes = [
        Route("/", index), Route("/favicon.ico", favicon), Route("/static/{name}", static),
        Route("/api/start", start),
        Route("/api/frame", frame, methods=["POST"]),
        Route("/api/photo", photo, methods=["POST"]),
        Route("/api/again", again, methods=["POST"]),
        Route("/api/confirm", confirm, methods=["POST"]),
        *decision_routes(log, forms, params, web),
    ]
    return Guard(Starlette(routes=routes, lifespan=lifespan, exception_handlers=ERROR_HANDLERS), token, port, web,
                 PUBLIC, UPLOADS)

