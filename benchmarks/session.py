"""In-session camera benchmark: time from a steady sheet in view to a confident reading, and how
often a simulated camera sequence is read correctly.

    python benchmarks/session.py [--seeds 100-119] [--http 5]

For each seed, `simulate.video.camera_sequence` shows one simulated sheet (filled and printed as
the phone profile does) to a 1080p camera: 6 frames moving in the hand with motion blur, then 8
frames held still. Frames go through JPEG (quality 90, as the page's canvas sends them).

1. Server side: every frame is read with `camera.read_frame` and fed to the `Accumulator`, as the
   session server does. Per sequence: whether any frame of the moving sheet gave a value (it must
   not), how many steady frames it took to a confident reading, the read time per frame, and
   whether the confident reading is right: every item the truth says must be flagged is flagged,
   every other within 1 mm of the truth. A confident reading with a value more than 1 mm off is a
   wrong value shown to the therapist, counted apart.
2. End to end: the session app on uvicorn (127.0.0.1, token, CSRF), the steady frames POSTed one
   after the other no faster than the page sends them (every 250 ms); time from the first steady
   frame sent to the confident answer, for the first `--http` seeds.

Seeds 1-3 and 20-25 were used while building the page; the default seeds 100-119 were not.
Timing is measured here, never in the test suite.
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import sys
import threading
import time
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from srs_scan.clinical.settings import defaults  # noqa: E402
from srs_scan.review.camera import Accumulator, CameraParams, read_frame  # noqa: E402
from srs_scan.sheets.spec import load_form, load_form_library  # noqa: E402
from srs_scan.simulate.video import STEADY, CameraShot, camera_sequence  # noqa: E402

SHOT = CameraShot(moving_frames=6, steady_frames=8)
PAGE_INTERVAL_S = 0.25  # session.js FRAME_MS


def _seeds(text: str) -> list[int]:
    low, _, high = text.partition("-")
    return list(range(int(low), int(high or low) + 1))


def _jpeg(image) -> bytes:
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 90])
    assert ok
    return data.tobytes()


def _verdict(result, truth) -> str:
    """right, wrong_value (a value more than 1 mm off, or a value where the truth has none), or flagged."""
    verdict = "right"
    for item, value in zip(result.items, truth):
        if item.value_cm is None:
            verdict = verdict if value is None else "flagged"
        elif value is None or abs(item.value_cm - value) > 0.1 + 1e-9:
            return "wrong_value"
    return verdict


def server_side(seeds: list[int], forms, spec) -> list[dict]:
    rows = []
    for seed in seeds:
        seq = camera_sequence(spec, seed, SHOT)
        acc, previous = Accumulator(CameraParams()), None
        times, moving_value, confident_at, result = [], False, None, None
        for n, (frame, phase) in enumerate(zip(seq.frames, seq.phases)):
            data = _jpeg(frame)
            image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
            began = time.perf_counter()
            read = read_frame(image, forms, previous)
            times.append(time.perf_counter() - began)
            previous = read
            candidate = acc.add(read, data, image)
            if candidate is not None:
                if phase != STEADY:
                    moving_value = True
                confident_at, result = n - SHOT.moving_frames + 1, candidate.result
                break
        verdict = "none" if result is None else _verdict(result, seq.truth)
        rows.append({"seed": seed, "frames": confident_at, "verdict": verdict, "moving_value": moving_value,
                     "read_s": times, "truth": seq.truth,
                     "read": None if result is None else [i.value_cm for i in result.items]})
        print(f"seed {seed}: {verdict:11s} steady frames to confident: {confident_at}  "
              f"read {statistics.median(times):.2f} s/frame (max {max(times):.2f})", flush=True)
    return rows


def end_to_end(seeds: list[int], forms, spec, tmp: Path) -> list[float]:
    import uvicorn

    from srs_scan.review.session import create_session_app
    from srs_scan.review.web import bind_loopback, csrf_token, new_token, server_config

    sock = bind_loopback(0)
    port, token = sock.getsockname()[1], new_token()
    app = create_session_app(tmp / "bench.sqlite", forms, defaults(), token, port)
    server = uvicorn.Server(server_config(app))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    headers = {"X-SRS-Token": token, "X-CSRF-Token": csrf_token(token), "Origin": f"http://127.0.0.1:{port}"}
    waits = []
    try:
        for seed in seeds:
            seq = camera_sequence(spec, seed, SHOT)
            steady = [_jpeg(f) for f, p in zip(seq.frames, seq.phases) if p == STEADY]
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.request("POST", "/api/again", b"{}", {**headers, "Content-Type": "application/json"})
            connection.getresponse().read()
            began, waited = time.perf_counter(), None
            for data in steady:
                sent = time.perf_counter()
                connection.request("POST", "/api/frame", data, {**headers, "Content-Type": "image/jpeg"})
                answer = connection.getresponse().read()
                if b'"confident"' in answer:
                    waited = time.perf_counter() - began
                    break
                time.sleep(max(0.0, PAGE_INTERVAL_S - (time.perf_counter() - sent)))
            connection.close()
            print(f"seed {seed}: steady sheet to confident reading through HTTP: "
                  f"{'none' if waited is None else f'{waited:.2f} s'}", flush=True)
            if waited is not None:
                waits.append(waited)
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
    return waits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="100-119", help="first-last seed (default 100-119)")
    parser.add_argument("--http", type=int, default=5, help="seeds measured end to end through HTTP")
    args = parser.parse_args()
    import tempfile

    forms, spec = load_form_library(), load_form()
    seeds = _seeds(args.seeds)
    rows = server_side(seeds, forms, spec)
    n = len(rows)
    count = {v: sum(r["verdict"] == v for r in rows) for v in ("right", "flagged", "wrong_value", "none")}
    frames = [r["frames"] for r in rows if r["frames"] is not None]
    reads = [t for r in rows for t in r["read_s"]]
    print(f"\n{n} camera sequences (seeds {seeds[0]}-{seeds[-1]}), 1080p, 6 moving + 8 steady frames:")
    print(f"  read right (every item within 1 mm, flags as the truth): {count['right']} of {n}")
    print(f"  confident but an item flagged that the truth gives a value: {count['flagged']}")
    print(f"  confident with a wrong value (more than 1 mm off): {count['wrong_value']}")
    print(f"  no confident reading within 8 steady frames: {count['none']}")
    print(f"  a value given for a frame of the moving sheet: {sum(r['moving_value'] for r in rows)}")
    if frames:
        print(f"  steady frames to a confident reading: median {statistics.median(frames)}, max {max(frames)}")
    print(f"  read time per frame: median {statistics.median(reads):.3f} s, 90th percentile "
          f"{statistics.quantiles(reads, n=10)[-1]:.3f} s")
    if frames:
        per = max(PAGE_INTERVAL_S, statistics.median(reads))
        print(f"  server-side estimate, steady sheet to confident: {statistics.median(frames)} frames x "
              f"{per:.2f} s = {statistics.median(frames) * per:.2f} s")
    if args.http:
        with tempfile.TemporaryDirectory() as tmp:
            waits = end_to_end(seeds[:args.http], forms, spec, Path(tmp))
        if waits:
            print(f"  end to end through HTTP ({len(waits)} seeds): median {statistics.median(waits):.2f} s, "
                  f"max {max(waits):.2f} s")


if __name__ == "__main__":
    main()
