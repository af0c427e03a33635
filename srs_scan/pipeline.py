"""One page end to end, and a batch of many pages over a process pool.

A batch is a list of (file, page) tasks. Workers open the file themselves and
decode only their page, so no page image crosses a process boundary and memory
does not grow with the size of the batch: at most `jobs * QUEUE_PER_JOB` pages
are in flight at once. Results come back in input order.

Every page of every input yields exactly one PageResult: read, flagged, not a
form, or an error with a reason. Nothing here raises for a bad page.
"""

from __future__ import annotations

import os
import signal
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from srs_scan.pages import Limits, PageError, count_pages, load_page
from srs_scan.results import DUPLICATE_SHEET, PageResult, error_result
from srs_scan.spec import FormLibrary

QUEUE_PER_JOB = 2  # pages queued per worker: keeps workers busy without holding many pages


@dataclass(frozen=True)
class Task:
    file: Path
    page: int          # 1-based
    label: str         # the file as shown in the CSV


@dataclass(frozen=True)
class ScanOptions:
    password: str | None = None
    jobs: int = field(default_factory=lambda: os.cpu_count() or 1)
    limits: Limits = Limits()
    overlays: Path | None = None


def plan(files: Iterable[Path], options: ScanOptions) -> Iterator[Task | PageResult]:
    """One Task per page of each file, or one error result for a file that cannot be opened."""
    for path in files:
        label = str(path)
        count = count_pages(path, options.password, options.limits)
        if isinstance(count, PageError):
            yield error_result(label, count.page or 1, count.reason)
            continue
        if count == 0:
            yield error_result(label, 1, "the file holds no pages")
            continue
        for page in range(1, count + 1):
            yield Task(path, page, label)


def read_task(task: Task, forms: FormLibrary, options: ScanOptions) -> PageResult:
    """Decode and read one page; write its overlay when asked. Never raises for a bad page."""
    from srs_scan.read import read_page

    try:
        loaded = load_page(task.file, task.page, options.password, options.limits)
        if isinstance(loaded, PageError):
            return error_result(task.label, task.page, loaded.reason)
        result = read_page(loaded.image, forms, task.label, task.page)
        if options.overlays is not None:
            _write_overlay(task, loaded.image, result, forms, options.overlays)
        return result
    except MemoryError:
        return error_result(task.label, task.page, "not enough memory to read this page")
    except Exception as exc:  # last resort: one bad page must never stop a batch
        return error_result(task.label, task.page, f"could not read this page ({type(exc).__name__})")


def overlay_name(task_label: str, page: int) -> str:
    stem = Path(task_label).name.replace(" ", "_")
    return f"{stem}.p{page:03d}.jpg"


def _write_overlay(task: Task, image, result: PageResult, forms: FormLibrary, folder: Path) -> None:
    import cv2

    from srs_scan.fileio import write_atomic
    from srs_scan.overlay import draw_overlay

    spec = forms.get((result.form_id, result.form_version))
    picture = draw_overlay(image, result, spec)
    ok, encoded = cv2.imencode(".jpg", picture, [cv2.IMWRITE_JPEG_QUALITY, 85])
    if ok:
        write_atomic(folder / overlay_name(task.label, task.page), encoded.tobytes())


_worker_state: dict[str, object] = {}


def _init_worker(forms: FormLibrary, options: ScanOptions) -> None:
    # Ctrl-C is the parent's to handle: workers ignore it rather than print tracebacks.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Each worker process keeps the forms it was started with; nothing is shared back.
    _worker_state.update(forms=forms, options=options)


def _read_in_worker(task: Task) -> PageResult:
    return read_task(task, _worker_state["forms"], _worker_state["options"])  # type: ignore[arg-type]


def scan(items: Iterable[Task | PageResult], forms: FormLibrary,
         options: ScanOptions) -> Iterator[PageResult]:
    """Read every task, in input order; ready-made results (file errors) pass straight through."""
    if options.jobs <= 1:
        for item in items:
            yield item if isinstance(item, PageResult) else read_task(item, forms, options)
        return
    window = options.jobs * QUEUE_PER_JOB
    pending: deque[tuple[Task | None, Future[PageResult] | PageResult]] = deque()
    with ProcessPoolExecutor(options.jobs, initializer=_init_worker,
                             initargs=(forms, options)) as pool:
        for item in items:
            if isinstance(item, PageResult):
                pending.append((None, item))
            else:
                pending.append((item, pool.submit(_read_in_worker, item)))
            while len(pending) > window:
                yield _settle(*pending.popleft())
        while pending:
            yield _settle(*pending.popleft())


def _settle(task: Task | None, entry: Future[PageResult] | PageResult) -> PageResult:
    if isinstance(entry, PageResult):
        return entry
    try:
        return entry.result()
    except Exception as exc:  # a worker died (out of memory, killed): this page fails, not the batch
        assert task is not None
        return error_result(task.label, task.page, f"the reading process failed ({type(exc).__name__})")


def mark_duplicates(results: Iterable[PageResult], seen: set[str] | None = None) -> Iterator[PageResult]:
    """Flag a sheet whose serial was already read earlier in the batch (a re-fed sheet)."""
    seen = set() if seen is None else seen
    for result in results:
        serial = result.sheet.serial if result.sheet else ""
        if serial and serial in seen and DUPLICATE_SHEET not in result.flags:
            result = replace(result, flags=(*result.flags, DUPLICATE_SHEET))
        elif serial:
            seen.add(serial)
        yield result
