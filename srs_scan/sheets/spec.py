"""Form definitions: load and validate `forms/*.toml` into a frozen `FormSpec`.

This module is the one source of sheet geometry. The generator draws what it
says and the reader measures what it says; neither keeps coordinates of its own.
All lengths are millimetres in the *form frame*: origin at the top-left corner
of the content block, x to the right, y down. `block_origin_mm` places that
block on a given paper size.

It does not draw or read anything.
"""

from __future__ import annotations

import hashlib
import tomllib
from importlib import resources
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from srs_scan.errors import FormFileError

MM_PER_INCH = 25.4
PT_PER_MM = 72.0 / MM_PER_INCH

PAPER_SIZES_MM: dict[str, tuple[float, float]] = {
    "a4": (210.0, 297.0),
    "letter": (215.9, 279.4),
}

def _forms_folder() -> Path:
    """The built-in forms. Their one source is the checkout's top-level forms/ folder, which
    pyproject.toml ships as srs_scan's package data (srs_scan/forms): installed from a wheel (a
    venv, `pip install --user` or --target) they are found there with importlib.resources; run
    from a checkout, or an editable install of one, srs_scan/forms does not exist and forms/ is
    read where it is."""
    installed = Path(str(resources.files("srs_scan") / "forms"))
    if installed.is_dir():
        return installed
    return Path(__file__).resolve().parents[2] / "forms"


DEFAULT_FORM = _forms_folder() / "srs.toml"
CORNERS = ("top_left", "top_right", "bottom_right", "bottom_left")

READ_BEYOND_BAND_MM = 1.5
"""The reader looks this far past each clear band (to see whether ink runs on out of it, which
other handwriting does and a mark seldom does): a form prints no text there."""
# Helvetica's cap height and descent as a share of the font size (its AFM metrics), to check
# that text placed by a form file stays clear of the bands and of other items' text.
CAP_HEIGHT_EM, DESCENT_EM = 0.718, 0.207


def mm_to_pt(mm: float) -> float:
    return mm * PT_PER_MM


def pt_to_mm(pt: float) -> float:
    return pt / PT_PER_MM


@dataclass(frozen=True)
class Item:
    id: str
    heading: str
    prompt: str
    left: str
    right: str
    y_mm: float
    x_mm: float = 0.0        # left end (end-stop centre) of this item's line
    length_mm: float = 0.0   # from left to right end: the scale's 0-10
    stops: bool = True       # printed end-stops (ticks); without them the line's own ends count


@dataclass(frozen=True)
class Marker:
    corner: str
    id: int
    x_mm: float  # top-left corner of the marker's black square
    y_mm: float

    def corners_mm(self, size_mm: float) -> tuple[tuple[float, float], ...]:
        """The square's corners in OpenCV's ArUco order: TL, TR, BR, BL."""
        x, y, s = self.x_mm, self.y_mm, size_mm
        return ((x, y), (x + s, y), (x + s, y + s), (x, y + s))


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    x_mm: float
    y_mm: float
    width_mm: float


@dataclass(frozen=True)
class Enrolled:
    """What an enrolled form (a blank enrolled with `srs-scan enrol`) adds: its reference image."""

    reference: Path          # the blank as enrolled: a grey PNG beside the form file
    px_per_mm: float         # the reference image's resolution; its pixel (0, 0) is at (0, 0) mm
    sha256: str              # of the reference image, so that a changed image is noticed


@dataclass(frozen=True)
class TextLayout:
    """Where the sheet's words go and how big they are: the form file's optional [text] table.
    Positions in mm in the form frame (baselines), sizes in points. The defaults are the
    layout of forms/srs.toml, so a form file that leaves the table out prints like it."""

    margin_x: float = 20.0          # left edge of title, subtitle and instructions (and right margin)
    title_y: float = 14.0
    title_pt: float = 18.0
    subtitle_y: float = 20.5
    subtitle_pt: float = 11.0
    instructions_y: float = 48.0    # first line
    instructions_leading: float = 5.2
    instructions_pt: float = 11.5   # at least 11 pt: many clients are older or have poor sight
    footer_below_serial: float = 6.4  # the printer note (for staff), below the serial, wrapped to
    footer_width: float = 40.0        # this width, right-aligned with the code's right edge; the
    footer_gap: float = 3.0           # instruction stops this far left of it
    footer_leading: float = 2.6
    footer_pt: float = 6.5
    field_label_above: float = 6.5  # a field's label, above its underline
    field_label_pt: float = 10.0
    field_value_dx: float = 1.0     # a pre-filled value, right of the underline's start ...
    field_value_above: float = 1.3  # ... and above it
    field_value_pt: float = 11.0
    serial_pt: float = 8.0          # "Sheet <serial>", centred at [sheet_id] serial_x, serial_y
    form_line_below: float = 3.2    # "<form> v<version>", this far below the serial
    form_line_pt: float = 6.5
    heading_above: float = 16.0     # an item's heading, above its line
    heading_pt: float = 12.0
    prompt_above: float = 10.5
    prompt_pt: float = 10.5         # prompts and anchors at least 10 pt
    anchor_below: float = 10.4      # the left and right anchor words, below the line's ends
    anchor_pt: float = 10.0


def cap_mm(size_pt: float) -> float:
    return pt_to_mm(size_pt) * CAP_HEIGHT_EM


def descent_mm(size_pt: float) -> float:
    return pt_to_mm(size_pt) * DESCENT_EM


@dataclass(frozen=True)
class FormSpec:
    form_id: str
    version: int
    title: str
    subtitle: str
    instructions: str
    footer: str
    block_w_mm: float
    block_h_mm: float
    edge_clearance_mm: float
    line_x_mm: float
    line_length_mm: float
    stop_height_mm: float
    line_width_pt: float
    clear_band_mm: float
    clear_margin_x_mm: float
    aruco_dictionary: str
    marker_size_mm: float
    markers: tuple[Marker, ...]
    qr_x_mm: float
    qr_y_mm: float
    qr_size_mm: float
    serial_x_mm: float
    serial_y_mm: float
    fields: tuple[Field, ...]
    items: tuple[Item, ...]
    enrolled: Enrolled | None = None  # set for enrolled forms: no markers, no QR code
    text: TextLayout = TextLayout()
    scale_max: float = 10.0  # the score at a line's right end-stop ([lines] scale_max; 0 at the left)

    @property
    def item_ids(self) -> tuple[str, ...]:
        return tuple(item.id for item in self.items)

    @property
    def line_end_x_mm(self) -> float:
        return self.line_x_mm + self.line_length_mm

    def value_cm(self, x_mm: float, ends_x_mm: tuple[float, float]) -> float:
        """Where a mark meets a line, as a score: its distance from the left end-stop as a share of
        the distance between the two end-stops found on this sheet (so a sheet printed at 94 %
        scores as one printed at 100 %), times `scale_max`, clamped to the line."""
        left, right = ends_x_mm
        return value_cm(x_mm, left, right, self.scale_max)

    def line_ends_mm(self, item: Item) -> tuple[tuple[float, float], tuple[float, float]]:
        """Centres of the item's left and right end-stops, in the form frame."""
        return (item.x_mm, item.y_mm), (item.x_mm + item.length_mm, item.y_mm)

    def clear_band_mm_box(self, item: Item) -> tuple[float, float, float, float]:
        """(x0, y0, x1, y1) of the band that holds only the line and its end-stops."""
        return (
            item.x_mm - self.clear_margin_x_mm,
            item.y_mm - self.clear_band_mm,
            item.x_mm + item.length_mm + self.clear_margin_x_mm,
            item.y_mm + self.clear_band_mm,
        )

    def marker_by_id(self) -> dict[int, Marker]:
        return {m.id: m for m in self.markers}


def value_cm(x_mm: float, left_mm: float, right_mm: float, scale_max: float) -> float:
    """The one value formula (see `FormSpec.value_cm`); the review page's JavaScript keeps a
    copy that a test holds equal to this one."""
    v = scale_max * (x_mm - left_mm) / (right_mm - left_mm)
    return float(min(scale_max, max(0.0, v)))


def largest_paper_side_mm() -> float:
    """The long side of the largest paper a form prints on (A4: 297 mm)."""
    return max(max(size) for size in PAPER_SIZES_MM.values())


def block_origin_mm(spec: FormSpec, paper: str) -> tuple[float, float]:
    """Where the content block's top-left corner sits on the paper (centred)."""
    width, height = PAPER_SIZES_MM[paper]
    return (width - spec.block_w_mm) / 2.0, (height - spec.block_h_mm) / 2.0


def load_form(path: Path | str = DEFAULT_FORM) -> FormSpec:
    """Read and validate a form file; raise FormFileError with one clear line."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FormFileError(f"form file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise FormFileError(f"cannot read form file {path}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise FormFileError(f"{path.name}: not valid TOML: {exc}") from None
    try:
        if "enrolled" in raw:
            spec = _parse_enrolled(raw, path.parent)
        else:
            spec = _parse(raw)
            _check_layout(spec)
    except FormFileError as exc:
        raise FormFileError(f"{path.name}: {exc}") from None
    return spec


class _Table:
    """A TOML table read key by key, so that unknown and missing keys are errors."""

    def __init__(self, raw: Any, where: str) -> None:
        if not isinstance(raw, dict):
            raise FormFileError(f"[{where}] must be a table")
        self.raw, self.where, self.used = raw, where, set[str]()

    def get(self, key: str, kind: type, default: Any = None) -> Any:
        self.used.add(key)
        if key not in self.raw:
            if default is None:
                raise FormFileError(f"[{self.where}] is missing '{key}'")
            return default
        value = self.raw[key]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
            raise FormFileError(f"[{self.where}] '{key}' must be {kind.__name__}")
        if kind is str and not value.strip():
            raise FormFileError(f"[{self.where}] '{key}' must not be empty")
        return value

    def table(self, key: str) -> _Table:
        self.used.add(key)
        if key not in self.raw:
            raise FormFileError(f"[{self.where}] is missing '{key}'")
        return _Table(self.raw[key], f"{self.where}.{key}" if self.where else key)

    def done(self) -> None:
        unknown = sorted(set(self.raw) - self.used)
        if unknown:
            raise FormFileError(f"[{self.where or 'top level'}] unknown key '{unknown[0]}'")


def _array_of_tables(root: _Table, key: str) -> list[_Table]:
    root.used.add(key)
    raw = root.raw.get(key)
    if not isinstance(raw, list) or not raw:
        raise FormFileError(f"missing [[{key}]]: the form needs at least one")
    return [_Table(entry, f"{key}[{i}]") for i, entry in enumerate(raw)]


def _parse(raw: dict[str, Any]) -> FormSpec:
    root = _Table(raw, "")
    form, block, lines = root.table("form"), root.table("block"), root.table("lines")
    markers_t, qr = root.table("markers"), root.table("sheet_id")

    markers = []
    for corner in CORNERS:
        m = markers_t.table(corner)
        markers.append(Marker(corner, m.get("id", int), m.get("x", float), m.get("y", float)))
        m.done()
    if len({m.id for m in markers}) != len(markers):
        raise FormFileError("[markers] each corner needs its own marker id")

    fields = []
    for f in _array_of_tables(root, "fields"):
        fields.append(Field(f.get("name", str), f.get("label", str), f.get("x", float),
                            f.get("y", float), f.get("width", float)))
        f.done()

    items = []
    for t in _array_of_tables(root, "items"):
        item_id = t.get("id", str)
        if not item_id.isidentifier():
            raise FormFileError(f"[{t.where}] id '{item_id}' must be a plain word (a-z, 0-9, _)")
        items.append(Item(item_id, t.get("heading", str), t.get("prompt", str, ""),
                          t.get("left", str), t.get("right", str), t.get("y", float)))
        t.done()
    seen: set[str] = set()
    for item in items:
        if item.id in seen:
            raise FormFileError(f"duplicate item id '{item.id}'")
        seen.add(item.id)

    line_x, length = lines.get("x", float), lines.get("length", float)
    items = [replace(item, x_mm=line_x, length_mm=length) for item in items]
    text = _text_layout(root)
    spec = FormSpec(
        form_id=form.get("id", str), version=form.get("version", int),
        title=form.get("title", str), subtitle=form.get("subtitle", str, ""),
        instructions=form.get("instructions", str), footer=form.get("footer", str),
        block_w_mm=block.get("width", float), block_h_mm=block.get("height", float),
        edge_clearance_mm=block.get("edge_clearance", float),
        line_x_mm=line_x, line_length_mm=length,
        stop_height_mm=lines.get("stop_height", float), line_width_pt=lines.get("width_pt", float),
        clear_band_mm=lines.get("clear_band", float),
        clear_margin_x_mm=lines.get("clear_margin_x", float),
        aruco_dictionary=markers_t.get("dictionary", str), marker_size_mm=markers_t.get("size", float),
        markers=tuple(markers),
        qr_x_mm=qr.get("x", float), qr_y_mm=qr.get("y", float), qr_size_mm=qr.get("size", float),
        serial_x_mm=qr.get("serial_x", float), serial_y_mm=qr.get("serial_y", float),
        fields=tuple(fields), items=tuple(items), text=text,
        scale_max=lines.get("scale_max", float, 10.0),
    )
    for table in (form, block, lines, markers_t, qr, root):
        table.done()
    return spec


def _parse_enrolled(raw: dict[str, Any], folder: Path) -> FormSpec:
    """An enrolled form's file (`sheets/enrol.py` writes it): the lines, each with its own
    place and length, and the reference image the reader registers pages to."""
    root = _Table(raw, "")
    form, enrolled, lines = root.table("form"), root.table("enrolled"), root.table("lines")
    reference = folder / enrolled.get("reference", str)
    if not reference.is_file():
        raise FormFileError(f"the reference image {reference.name} is missing (it must stay "
                            f"beside the form file)")
    digest = hashlib.sha256(reference.read_bytes()).hexdigest()
    if digest != enrolled.get("sha256", str):
        raise FormFileError(f"the reference image {reference.name} has changed since it was "
                            f"enrolled: enrol the blank again")
    width, height = enrolled.get("width", float), enrolled.get("height", float)
    items = []
    for t in _array_of_tables(root, "items"):
        item_id = t.get("id", str)
        if not item_id.isidentifier():
            raise FormFileError(f"[{t.where}] id '{item_id}' must be a plain word (a-z, 0-9, _)")
        items.append(Item(item_id, t.get("heading", str, item_id), "", t.get("left", str, "0"),
                          t.get("right", str, "10"), t.get("y", float), t.get("x", float),
                          t.get("length", float), t.get("stops", bool)))
        t.done()
    if len({item.id for item in items}) != len(items):
        raise FormFileError("two items have the same id")
    for item in items:
        if not (0 <= item.x_mm < item.x_mm + item.length_mm <= width and 0 <= item.y_mm <= height):
            raise FormFileError(f"item '{item.id}' lies outside the page")
        if item.length_mm < 10.0:
            raise FormFileError(f"item '{item.id}' is shorter than 10 mm")
    x0 = min(item.x_mm for item in items)
    spec = FormSpec(
        form_id=form.get("id", str), version=form.get("version", int),
        title=form.get("title", str), subtitle="", instructions="", footer="",
        block_w_mm=width, block_h_mm=height, edge_clearance_mm=0.0,
        line_x_mm=x0, line_length_mm=max(i.x_mm + i.length_mm for i in items) - x0,
        stop_height_mm=lines.get("stop_height", float), line_width_pt=0.4,
        clear_band_mm=lines.get("clear_band", float),
        clear_margin_x_mm=lines.get("clear_margin_x", float),
        aruco_dictionary="", marker_size_mm=0.0, markers=(), qr_x_mm=0.0, qr_y_mm=0.0,
        qr_size_mm=0.0, serial_x_mm=0.0, serial_y_mm=0.0, fields=(), items=tuple(items),
        enrolled=Enrolled(reference, enrolled.get("px_per_mm", float), digest))
    for table in (form, enrolled, lines, root):
        table.done()
    if not spec.form_id.replace("-", "_").isidentifier():
        raise FormFileError(f"[form] id '{spec.form_id}' must be a plain word")
    return spec


def _text_layout(root: _Table) -> TextLayout:
    if "text" not in root.raw:
        root.used.add("text")
        return TextLayout()
    t = root.table("text")
    defaults = TextLayout()
    layout = TextLayout(**{name: t.get(name, float, getattr(defaults, name))
                           for name in TextLayout.__dataclass_fields__})
    t.done()
    return layout


def _check_layout(spec: FormSpec) -> None:
    """Everything inside the block, the block inside every paper, lines clear of each other."""
    import cv2  # imported here so that loading a form stays cheap for tools that do not draw

    from srs_scan.sheets.ids import form_id_problem  # the rule a sheet's QR code is read by

    if form_id_problem(spec.form_id):
        raise FormFileError(f"[form] id '{spec.form_id}': {form_id_problem(spec.form_id)}")
    if not 0.2 <= spec.line_width_pt <= 1.0:
        raise FormFileError("[lines] width_pt must be between 0.2 and 1.0")
    if not hasattr(cv2.aruco, spec.aruco_dictionary):
        raise FormFileError(f"[markers] unknown ArUco dictionary '{spec.aruco_dictionary}'")
    for paper, (pw, ph) in PAPER_SIZES_MM.items():
        room = min(pw - spec.block_w_mm, ph - spec.block_h_mm) / 2.0
        if room < spec.edge_clearance_mm:
            raise FormFileError(
                f"[block] {spec.block_w_mm} x {spec.block_h_mm} mm does not fit {paper} paper "
                f"with {spec.edge_clearance_mm} mm clear of every edge")

    def inside(what: str, x0: float, y0: float, x1: float, y1: float) -> None:
        if x0 < 0 or y0 < 0 or x1 > spec.block_w_mm or y1 > spec.block_h_mm:
            raise FormFileError(f"{what} lies outside the printable area "
                                f"(0-{spec.block_w_mm} x 0-{spec.block_h_mm} mm)")

    for m in spec.markers:
        inside(f"marker '{m.corner}'", m.x_mm, m.y_mm,
               m.x_mm + spec.marker_size_mm, m.y_mm + spec.marker_size_mm)
    inside("the sheet-id code", spec.qr_x_mm, spec.qr_y_mm,
           spec.qr_x_mm + spec.qr_size_mm, spec.qr_y_mm + spec.qr_size_mm)
    t = spec.text
    for f in spec.fields:
        label_top = f.y_mm - t.field_label_above - cap_mm(t.field_label_pt)
        inside(f"field '{f.name}'", f.x_mm, label_top, f.x_mm + f.width_mm, f.y_mm)
    ordered = sorted(spec.items, key=lambda i: i.y_mm)
    # The reader looks READ_BEYOND_BAND_MM past each band: the text around a line stays out.
    seen = spec.clear_band_mm + READ_BEYOND_BAND_MM
    if (t.anchor_below - cap_mm(t.anchor_pt) < seen
            or t.prompt_above - descent_mm(t.prompt_pt) < seen
            or t.heading_above - descent_mm(t.heading_pt) < seen):
        raise FormFileError(f"[text] an item's heading, prompt and anchor words must stay more "
                            f"than {seen} mm from its line (the clear band and what the reader sees)")
    for item in ordered:
        inside(f"item '{item.id}' and its clear band", *spec.clear_band_mm_box(item))
    for upper, lower in zip(ordered, ordered[1:]):
        # the upper item's anchor words end above the lower item's heading
        if (upper.y_mm + t.anchor_below + descent_mm(t.anchor_pt)
                >= lower.y_mm - t.heading_above - cap_mm(t.heading_pt)):
            raise FormFileError(f"items '{upper.id}' and '{lower.id}' are too close together")


FormLibrary = dict[tuple[str, int], FormSpec]


def resolve_form(name: str) -> Path:
    """A built-in form's file by its name (`srs`, `ors`), else the path as given."""
    builtin = _forms_folder() / f"{name}.toml"
    if name and "/" not in name and "\\" not in name and not name.endswith(".toml") and builtin.is_file():
        return builtin
    return Path(name)


def load_form_library(paths: list[Path] | None = None, only_given: bool = False) -> FormLibrary:
    """Every form the reader knows, keyed by (form id, version).

    `paths` are form files or folders of them, added to the built-in `forms/` folder
    (or, with `only_given`, used alone). Two files claiming the same id and version is an
    error: the reader could not tell their sheets apart.
    """
    if only_given and not paths:
        raise FormFileError("--only-given-forms needs at least one --form FILE")
    folders = [*([] if only_given else [DEFAULT_FORM.parent]), *(paths or [])]
    files: dict[Path, None] = {}
    for path in folders:
        # the built-in SRS first, so its item columns come first as they always have
        for file in (sorted(path.glob("*.toml"), key=lambda f: (f.name != DEFAULT_FORM.name, f.name))
                     if path.is_dir() else [path]):
            files.setdefault(file.resolve() if file.exists() else file)
    library: FormLibrary = {}
    for file in files:
        spec = load_form(file)
        key = (spec.form_id, spec.version)
        if key in library:
            raise FormFileError(f"{file.name}: another form file already defines "
                                f"form '{spec.form_id}' version {spec.version}")
        library[key] = spec
    if not library:
        raise FormFileError("no form files found")
    return library


def library_fingerprint(forms: FormLibrary) -> str:
    """Names the set of forms a page was read with: it changes when any form is added,
    removed or edited, so a stored reading made with another set is read again."""
    return hashlib.sha256(repr(sorted(forms.items())).encode()).hexdigest()[:16]
