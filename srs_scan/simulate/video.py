"""A filled sheet held up to a laptop camera: frames with known truth, and a .y4m video of them.

One simulated sheet (planned like a phone photo: `plan.plan_pages`, drawn by `paper.paper_image`)
is shown to a camera of `size` px: first moving in the hand (shifting and turning a few mm per
frame, with motion blur), then held steady (only sensor noise changes). The camera's light and
noise are the phone profile's, at a webcam's resolution. The truth is the plan's, computed from
the form and the print transform, never from pixels.

`write_y4m` writes frames as a YUV4MPEG2 (4:2:0) video, the format Chromium's fake camera plays
(`--use-file-for-fake-video-capture`). Each frame carries a small square in its top-left corner
that says which phase it is from (`phase_of`), so a test can tell what the server was shown.

Nothing here reads sheets; `benchmarks/session.py` and the session tests do.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from srs_scan.sheets.generate import render_sheets
from srs_scan.sheets.spec import MM_PER_INCH, PAPER_SIZES_MM, FormSpec
from srs_scan.simulate.model import PagePlan, Params, print_transform
from srs_scan.simulate.paper import paper_image, render_pdf_pages
from srs_scan.simulate.plan import plan_pages

MOVING, STEADY = "moving", "steady"
PHASE_COLOURS = {MOVING: (0, 0, 255), STEADY: (0, 255, 0)}  # BGR: red while moving, green when steady
PHASE_MARK_PX = 12


@dataclass(frozen=True)
class CameraShot:
    size: tuple[int, int] = (1920, 1080)  # a 1080p webcam, width x height (720p: QR codes too small)
    fill: float = 0.93                    # share of the frame's height the paper spans
    moving_frames: int = 10
    steady_frames: int = 10
    move_mm: tuple[float, float] = (4.0, 8.0)   # how far the paper moves between two frames
    turn_deg: float = 1.5                 # and how much it turns
    blur_px: tuple[float, float] = (0.3, 0.6)  # a webcam in focus, Gaussian sigma in its px
    noise: tuple[float, float] = (2.0, 4.0)


@dataclass(frozen=True)
class Sequence:
    plan: PagePlan
    frames: tuple[np.ndarray, ...]        # BGR
    phases: tuple[str, ...]               # MOVING or STEADY, per frame

    @property
    def truth(self) -> tuple[float | None, ...]:
        """Each item's true value in cm; None where a reader must flag the item."""
        return tuple(item.value_cm for item in self.plan.items)


def sheet_plan(spec: FormSpec, seed: int, paper: str = "a4") -> PagePlan:
    """One filled sheet, as the phone profile fills and prints it."""
    return plan_pages(spec, "phone", 1, random.Random(seed), paper)[0]


def _paper(plan: PagePlan, spec: FormSpec, paper: str, p: Params) -> np.ndarray:
    rendered = render_pdf_pages(render_sheets(spec, [plan.sheet], paper, invariant=True), p.paper_dpi)[0]
    return cv2.cvtColor(paper_image(plan, rendered, paper, p), cv2.COLOR_RGB2BGR)


def _pose(shot: CameraShot, paper: str, centre: tuple[float, float], angle_deg: float,
          rng: random.Random) -> np.ndarray:
    """3x3 map from paper mm to camera px: the paper upright, turned by `angle_deg`, a slight tilt."""
    w_mm, h_mm = PAPER_SIZES_MM[paper]
    k = shot.size[1] * shot.fill / h_mm
    a = math.radians(angle_deg)
    src, dst = [], []
    for ux, uy in ((0, 0), (1, 0), (1, 1), (0, 1)):
        x, y = (ux - 0.5) * w_mm * k, (uy - 0.5) * h_mm * k
        jitter = 0.01 * h_mm * k
        dst.append((centre[0] + x * math.cos(a) - y * math.sin(a) + rng.uniform(-jitter, jitter),
                    centre[1] + x * math.sin(a) + y * math.cos(a) + rng.uniform(-jitter, jitter)))
        src.append((ux * w_mm, uy * h_mm))
    return cv2.getPerspectiveTransform(np.float32(src), np.float32(dst)).astype(float)


def _frame(paper_img: np.ndarray, plan: PagePlan, pose: np.ndarray, shot: CameraShot, paper: str,
           p: Params, motion_px: tuple[float, float], rng: np.random.Generator) -> np.ndarray:
    k = p.paper_dpi / MM_PER_INCH
    render_to_mm = np.linalg.inv(np.array([[k, 0, -0.5], [0, k, -0.5], [0, 0, 1.0]]))
    total = pose @ print_transform(plan.print_scale, plan.print_offset_mm, paper) @ render_to_mm
    small = cv2.GaussianBlur(paper_img, (0, 0), 0.45 / math.sqrt(abs(np.linalg.det(total[:2, :2]))))
    out = cv2.warpPerspective(small, total, shot.size, flags=cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_CONSTANT, borderValue=plan.scan.background)
    level, gx, gy, vignette = plan.scan.light
    w, h = shot.size
    xs = np.linspace(-1, 1, w, dtype=np.float32)[None, :]
    ys = np.linspace(-1, 1, h, dtype=np.float32)[:, None]
    light = level * (1.0 + gx * xs + gy * ys) * (1.0 - vignette * (xs ** 2 + ys ** 2) / 2.0)
    out = np.clip(out.astype(np.float32) * light[:, :, None], 0, 255).astype(np.uint8)
    length = math.hypot(*motion_px)
    if length >= 1.0:  # motion blur: the exposure smears the frame along the way it moves
        n = int(math.ceil(length)) | 1
        kernel = np.zeros((n, n), np.float32)
        c = n // 2
        dx, dy = motion_px[0] / length * c, motion_px[1] / length * c
        cv2.line(kernel, (round(c - dx), round(c - dy)), (round(c + dx), round(c + dy)), 1.0, 1)
        out = cv2.filter2D(out, -1, kernel / kernel.sum())
    out = cv2.GaussianBlur(out, (0, 0), float(rng.uniform(*shot.blur_px)))
    noise = rng.standard_normal(out.shape[:2], dtype=np.float32) * np.float32(rng.uniform(*shot.noise))
    return cv2.add(out, cv2.merge([noise] * 3), dtype=cv2.CV_8U)


def camera_sequence(spec: FormSpec, seed: int, shot: CameraShot = CameraShot(), paper: str = "a4",
                    p: Params = Params()) -> Sequence:
    """The sheet of `seed` moving in front of the camera, then held still."""
    plan = sheet_plan(spec, seed, paper)
    paper_img = _paper(plan, spec, paper, p)
    rng = random.Random(seed ^ 0xCA3E)
    noise = np.random.default_rng(seed)
    w, h = shot.size
    k = h * shot.fill / PAPER_SIZES_MM[paper][1]    # camera px per paper mm
    centre = [w / 2 + rng.uniform(-0.1, 0.1) * w, h / 2]
    angle = rng.uniform(-4, 4)
    direction = rng.uniform(0, 2 * math.pi)
    frames, phases = [], []
    for n in range(shot.moving_frames):
        step_mm = rng.uniform(*shot.move_mm)
        direction += rng.uniform(-0.6, 0.6)
        step = (math.cos(direction) * step_mm * k, math.sin(direction) * step_mm * 0.3 * k)
        if not (0.25 * w < centre[0] + step[0] < 0.75 * w):
            direction = math.pi - direction
            step = (-step[0], step[1])
        centre = [centre[0] + step[0], min(max(centre[1] + step[1], 0.45 * h), 0.55 * h)]
        angle += rng.uniform(-shot.turn_deg, shot.turn_deg)
        pose = _pose(shot, paper, (centre[0], centre[1]), angle, rng)
        frames.append(_frame(paper_img, plan, pose, shot, paper, p, (step[0] * 0.5, step[1] * 0.5), noise))
        phases.append(MOVING)
    pose = _pose(shot, paper, (centre[0], centre[1]), angle, rng)
    for _ in range(shot.steady_frames):
        frames.append(_frame(paper_img, plan, pose, shot, paper, p, (0.0, 0.0), noise))
        phases.append(STEADY)
    for frame, phase in zip(frames, phases):
        frame[:PHASE_MARK_PX, :PHASE_MARK_PX] = PHASE_COLOURS[phase]
    return Sequence(plan, tuple(frames), tuple(phases))


def phase_of(image: np.ndarray) -> str:
    """Which phase a frame (as the camera delivered it, maybe JPEG'd) came from, by its corner square."""
    b, g, r = image[2:PHASE_MARK_PX - 2, 2:PHASE_MARK_PX - 2].reshape(-1, 3).mean(axis=0)
    return MOVING if r > g else STEADY


def write_y4m(path: Path, frames: list[np.ndarray] | tuple[np.ndarray, ...], fps: int) -> None:
    """Frames (BGR, even width and height) as a YUV4MPEG2 4:2:0 video."""
    h, w = frames[0].shape[:2]
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{w} H{h} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for frame in frames:
            out.write(b"FRAME\n")
            out.write(cv2.cvtColor(frame, cv2.COLOR_BGR2YUV_I420).tobytes())
