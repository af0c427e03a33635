"""One page end to end, and a batch of many pages over a process pool.

A batch is a list of (file, page) tasks. Workers open the file themselves and
decode only their page, so no page image crosses a process boundary and memory
does not grow with the size of the batch: at most `jobs * QUEUE_PER_JOB` pages
are in flight at once. Results come back in input order.

Every page of every input yields exactly one PageResult: read, flagged, not a
form, or an error with a reason. Nothing here raises for a bad page.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from pathlib import Path

import cv2
import numpy as np

from srs_scan.errors import page_reason
from srs_scan.fileio import is_own_output
from srs_scan.read.pages import Limits, PageError, count_pages, load_page
from srs_scan.results import PageResult, Status, error_result
from srs_scan.sheets.spec import FormLibrary, FormSpec, library_fingerprint
from srs_scan.batch import claims
from srs_scan.batch.store import ResultStore, content_hash

QUEUE_PER_JOB = 2  # pages queued per worker: keeps workers busy without holding many pages
PAGES_PER_WORKER = 100  # a worker is replaced after this many pages, so allocator fragmentation
                        # cannot make its memory creep up over a long batch
REVIEW_PX_PER_MM = 8.0  # resolution of the registered sheet kept for review (0.125 mm a pixel)
HASH_ATTEMPTS = 3  # a file that changes while it is hashed is hashed again, this many times at most
CHANGED = "the file changed while it was being read (replaced or still being written); scan it again"
GONE = "the file was moved or deleted while it was being read; scan it again"

# What identifies one version of a file without reading it: device, inode, size, modification
# and change time (ns). Replacing, rewriting or touching a file changes at least one of them.
Identity = tuple[int, int, int, int, int]


def file_identity(path: Path) -> Identity:
    st = os.stat(path)
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


@dataclass(frozen=True)
class Input:
    """One input file as it was when it was hashed. Every page read from it is checked
    against `identity` afterwards, so a reading is never stored under another content's hash."""
    path: Path
    digest: str
    identity: Identity | None = None  # None: not checked (the file could not be read)
    problem: str | None = None        # why the file gets an error row without being read


@dataclass(frozen=True)
class Task:
    file: Path
    page: int          # 1-based
    label: str         # the file as shown in the CSV
    digest: str        # content hash of the file
    identity: Identity | None = None  # the file as hashed; a page read from another version fails


@dataclass(frozen=True)
class Done:
    digest: str
    result: PageResult
    fresh: bool                   # read in this run (False: from the results store, or a file error)
    sheet_jpeg: bytes | None = None  # the registered sheet, kept for review when a page is flagged


@dataclass(frozen=True)
class ScanOptions:
    password: str | None = None
    jobs: int = field(default_factory=lambda: os.cpu_count() or 1)
    limits: Limits = Limits()
    overlays: Path | None = None


def _hashed(path: Path) -> Input:
    """The file's content hash, taken while its identity stayed the same."""
    for _ in range(HASH_ATTEMPTS):
        try:
            before = file_identity(path)
            digest = content_hash(path)
            after = file_identity(path)
        except OSError:
            return Input(path, f"unreadable:{path}")  # count_pages will give this file its error row
        if before == after:
            return Input(path, digest, after)
    return Input(path, f"changing:{path}", problem=CHANGED)


def identify(files: Iterable[Path]) -> tuple[list[Input], list[tuple[Path, Path]]]:
    """Each file with its content hash, and the files whose content was already given."""
    unique: list[Input] = []
    repeats: list[tuple[Path, Path]] = []
    first: dict[str, Path] = {}
    for path in files:
        hashed = _hashed(path)
        if hashed.digest in first:
            repeats.append((path, first[hashed.digest]))
            continue
        first[hashed.digest] = path
        unique.append(hashed)
    return unique, repeats


def own_outputs(files: Iterable[Path], written: Iterable[Path | None]) -> tuple[list[Path], list[Path]]:
    """(scans, ours): the files that are not srs-scan's own outputs, and those that are:
    a file this run writes (`written`: the CSV, JSON, store, overlay folder) or one that
    carries fileio.OWN_OUTPUT_MARK (an overlay of any earlier run, wherever it now lies)."""
    targets = [Path(p).resolve() for p in written if p is not None]
    scans: list[Path] = []
    ours: list[Path] = []
    for path in files:
        real = path.resolve()
        mine = any(real == t or t in real.parents for t in targets) or is_own_output(path)
        (ours if mine else scans).append(path)
    return scans, ours


def _changed(identity: Identity | None, path: Path) -> str | None:
    """Why pages read from `path` now are not the content hashed as `identity` (None: they are)."""
    if identity is None:
        return None
    try:
        return None if file_identity(path) == identity else CHANGED
    except OSError:
        return GONE


def plan(inputs: Iterable[Input], options: ScanOptions,
         store: ResultStore | None = None, forms: str | None = None) -> Iterator[Task | Done]:
    """One Task per page still to read; stored readings (made with the set of forms named
    by `forms`, when given) and file errors come ready-made."""
    for entry in inputs:
        path, digest, label = entry.path, entry.digest, str(entry.path)
        if entry.problem is not None:
            yield Done(digest, error_result(label, 1, entry.problem), fresh=False)
            continue
        count = count_pages(path, options.password, options.limits)
        if (changed := _changed(entry.identity, path)) is not None:
            yield Done(digest, error_result(label, 1, changed), fresh=False)
            continue
        if isinstance(count, PageError):
            yield Done(digest, error_result(label, count.page or 1, count.reason), fresh=False)
            continue
        if count == 0:
            yield Done(digest, error_result(label, 1, "the file holds no pages"), fresh=False)
            continue
        for page in range(1, count + 1):
            stored = store.get(digest, page, forms) if store else None
            if stored is not None:
                yield Done(digest, replace(stored, file=label), fresh=False)
            else:
                yield Task(path, page, label, digest, entry.identity)


def read_task(task: Task, forms: FormLibrary, options: ScanOptions) -> Done:
    """Decode and read one page; write its overlay when asked. Never raises for a bad page."""
    from srs_scan.read.reader import read_page

    def failed(reason: str) -> Done:
        return Done(task.digest, error_result(task.label, task.page, reason), True)

    try:
        loaded = load_page(task.file, task.page, options.password, options.limits)
        if (changed := _changed(task.identity, task.file)) is not None:
            return failed(changed)  # what was decoded is not the content that was hashed
        if isinstance(loaded, PageError):
            return failed(loaded.reason)
        result = read_page(loaded.image, forms, task.label, task.page)
        if options.overlays is not None:
            _write_overlay(task, loaded.image, result, forms, options.overlays)
        sheet = forms.get((result.form_id, result.form_version))
        # kept for review: a flagged page, or a sheet whose client code a person must read off it
        no_code = result.status is Status.OK and not (result.sheet and result.sheet.client_code)
        keep = (result.status is Status.REVIEW or no_code) and sheet is not None
        return Done(task.digest, result, True, registered_sheet_jpeg(loaded.image, result, sheet) if keep else None)
    except Exception as exc:  # last resort: one bad page must never stop a batch
        return failed(page_reason(exc, "page"))


def registered_sheet_jpeg(image: np.ndarray, result: PageResult, spec: FormSpec | None) -> bytes | None:
    """The page warped into the form frame at REVIEW_PX_PER_MM, as JPEG: pixel / k = form mm."""
    if result.homography is None or spec is None:
        return None
    scale = np.diag([REVIEW_PX_PER_MM, REVIEW_PX_PER_MM, 1.0])
    size = (round(spec.block_w_mm * REVIEW_PX_PER_MM), round(spec.block_h_mm * REVIEW_PX_PER_MM))
    warped = cv2.warpPerspective(image, scale @ np.array(result.homography), size,
                                 flags=cv2.INTER_AREA, borderValue=(255, 255, 255))
    ok, encoded = cv2.imencode(".jpg", warped, [cv2.IMWRITE_JPEG_QUALITY, 80])
    return encoded.tobytes() if ok else None


def overlay_name(task_label: str, page: int) -> str:
    """A file name for the page's overlay, unique even for same-named files in other folders."""
    stem = "_".join(part for part in Path(task_label).parts if part not in ("/", "..", "."))
    return f"{stem.replace(' ', '_')}.p{page:03d}.jpg"


def _write_overlay(task: Task, image, result: PageResult, forms: FormLibrary, folder: Path) -> None:
    import cv2

    from srs_scan.fileio import mark_jpeg, write_atomic
    from srs_scan.read.overlay import draw_overlay

    spec = forms.get((result.form_id, result.form_version))
    picture = draw_overlay(image, result, spec)
    ok, encoded = cv2.imencode(".jpg", picture, [cv2.IMWRITE_JPEG_QUALITY, 85])
    if ok:
        write_atomic(folder / overlay_name(task.label, task.page), mark_jpeg(encoded.tobytes()))


# Set once in each worker process by its initializer (the pool's way of giving workers
# their forms and options without sending them with every page); the batch never reads it.
_worker_state: dict[str, object] = {}


def _init_worker(forms: FormLibrary, options: ScanOptions, batch_pid: int) -> None:
    # Ctrl-C is the parent's to handle: workers ignore it rather than print tracebacks.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # One thread per worker: the pool already keeps every core busy, and OpenCV's own
    # threads on top of it only make the workers wait for each other.
    cv2.setNumThreads(1)
    # Each worker process keeps the forms it was started with; nothing is shared back.
    _worker_state.update(forms=forms, options=options)
    threading.Thread(target=_exit_with, args=(batch_pid, _started(batch_pid)), daemon=True).start()


def _exit_with(batch_pid: int, started: str | None) -> None:
    """End this worker when the batch process is gone (killed with kill -9, say), not linger
    holding the caller's pipes."""
    while True:
        time.sleep(1.0)
        if not _running(batch_pid, started):
            os._exit(1)


def _proc_stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (state first), or None without /proc."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return [] if Path("/proc/self/stat").exists() else None  # [] : the process is gone
    except OSError:
        return None
    return text[text.rindex(")") + 2:].split()


def _started(pid: int) -> str | None:
    fields = _proc_stat(pid)
    return fields[19] if fields else None  # field 22, start time: tells a reused pid apart


def _running(pid: int, started: str | None) -> bool:
    """True while the process runs. Killed with kill -9 while its own parent does not collect
    it, a process stays a zombie: a signal to it still succeeds, so its state is read as well."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    fields = _proc_stat(pid)
    if fields is None:  # no /proc (not Linux): the signal is all there is
        return True
    return bool(fields) and fields[0] not in ("Z", "X", "x") and (started is None or fields[19] == started)


def _read_in_worker(task: Task) -> Done:
    return read_task(task, _worker_state["forms"], _worker_state["options"])  # type: ignore[arg-type]


def scan(items: Iterable[Task | Done], forms: FormLibrary, options: ScanOptions) -> Iterator[Done]:
    """Read every task, in input order; ready-made results pass straight through."""
    if options.jobs <= 1:
        for item in items:
            yield item if isinstance(item, Done) else read_task(item, forms, options)
        return
    window = options.jobs * QUEUE_PER_JOB
    pending: deque[Done | tuple[Task, Future[Done]]] = deque()
    pool = _Pool(forms, options)
    try:
        for item in items:
            pending.append(item if isinstance(item, Done) else (item, pool.submit(item)))
            while len(pending) > window:
                yield _settle(pending.popleft())
        while pending:
            yield _settle(pending.popleft())
    finally:
        pool.close()


class _Pool:
    """A process pool that replaces itself when a worker dies (killed, out of memory):
    the pages in flight get error rows (a re-run retries them); the batch goes on."""

    def __init__(self, forms: FormLibrary, options: ScanOptions) -> None:
        self.forms, self.options = forms, options
        self.context = multiprocessing.get_context("forkserver")
        self.context.set_forkserver_preload(["srs_scan.read.reader", "srs_scan.read.pages"])
        self.executor = self._start()

    def _start(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(self.options.jobs, mp_context=self.context, initializer=_init_worker,
                                   initargs=(self.forms, self.options, os.getpid()),
                                   max_tasks_per_child=PAGES_PER_WORKER)

    def submit(self, task: Task) -> Future[Done]:
        try:
            return self.executor.submit(_read_in_worker, task)
        except BrokenProcessPool:
            self.executor.shutdown(wait=False, cancel_futures=True)
            self.executor = self._start()
            return self.executor.submit(_read_in_worker, task)

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)


def _settle(entry: Done | tuple[Task, Future[Done]]) -> Done:
    if isinstance(entry, Done):
        return entry
    task, future = entry
    try:
        return future.result()
    except Exception as exc:  # a worker died (out of memory, killed): this page fails, not the batch
        return Done(task.digest, error_result(task.label, task.page, page_reason(exc, "page")), True)


@dataclass(frozen=True)
class Batch:
    results: list[PageResult]
    read_now: int      # pages read in this run; the rest came from the results store or were errors
    digests: list[str] = field(default_factory=list)  # each result's file content hash


def read_batch(inputs: Iterable[Input], forms: FormLibrary, options: ScanOptions,
               store: ResultStore, progress: Callable[[int, int], None] | None = None,
               waiting: Callable[[], None] | None = None) -> Batch:
    """Read what the store lacks, keep each reading as it arrives, and return every page's result.
    Another scan reading the same files is waited for (`waiting` is told), then its readings used."""
    inputs = list(inputs)
    with claims.reading(store.path, [entry.digest for entry in inputs], waiting):
        return _read_claimed(inputs, forms, options, store, progress)


def _read_claimed(inputs: list[Input], forms: FormLibrary, options: ScanOptions, store: ResultStore,
                  progress: Callable[[int, int], None] | None) -> Batch:
    fingerprint = library_fingerprint(forms)
    items = list(plan(inputs, options, store, fingerprint))
    order = {(item.digest, item.page if isinstance(item, Task) else item.result.page): index
             for index, item in enumerate(items)}
    results: list[PageResult] = []
    digests: list[str] = []
    for done in scan(items, forms, options):
        if done.fresh:
            store.put(done.digest, done.result, done.sheet_jpeg, fingerprint)
        results.append(store.with_duplicate_flag(done.digest, done.result, order))
        digests.append(done.digest)
        if progress is not None:
            progress(len(results), len(items))
    return Batch(results, sum(isinstance(item, Task) for item in items), digests)
