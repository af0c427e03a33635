"""The sheet a client fills in is easy to read for older clients or poor sight, on a poor copy:
type sizes and darkness checked on the PDF's own drawing operations."""

from __future__ import annotations

import io
from dataclasses import dataclass

import pytest
from pypdf import PdfReader
from reportlab.pdfbase.pdfmetrics import stringWidth
from pypdf.generic import ContentStream

from srs_scan.sheets.generate import render_sheets
from srs_scan.sheets.sheetid import SheetId
from srs_scan.sheets.spec import PAPER_SIZES_MM, block_origin_mm, load_form_library, pt_to_mm

MIN_PT = 10.0              # prompts, anchors, field labels: what a client reads
MIN_INSTRUCTION_PT = 11.0
MAX_GREY = 0.30            # fill colour components: 0 is black; light grey fades on a poor copy
BUILT_IN = sorted(load_form_library().values(), key=lambda f: f.form_id)  # every form we print


@dataclass(frozen=True)
class Text:
    text: str
    size: float
    colour: tuple[float, ...]
    x_mm: float                # in the form frame
    y_mm: float


def _texts(spec, paper: str = "a4", sheet: SheetId | None = None) -> list[Text]:
    sheet = sheet or SheetId(spec.form_id, spec.version, "7KQ2M9XD")
    reader = PdfReader(io.BytesIO(render_sheets(spec, [sheet], paper)))
    ops = ContentStream(reader.pages[0].get_contents(), reader).operations
    ox, oy = block_origin_mm(spec, paper)
    page_h = PAPER_SIZES_MM[paper][1]
    size, colour, at, texts = 0.0, (0.0, 0.0, 0.0), (0.0, 0.0), []
    for args, op in ops:
        if op == b"rg":
            colour = tuple(float(a) for a in args)
        elif op == b"g":
            colour = (float(args[0]),) * 3
        elif op == b"Tf":
            size = float(args[1])
        elif op == b"Tm":
            at = (float(args[4]), float(args[5]))
        elif op == b"Tj":
            texts.append(Text(str(args[0]), size, colour, pt_to_mm(at[0]) - ox,
                              page_h - pt_to_mm(at[1]) - oy))
    return texts


def _find(texts: list[Text], words: str) -> list[Text]:
    found = [t for t in texts if t.text == words]
    assert found, words
    return found


@pytest.mark.parametrize("spec", BUILT_IN, ids=lambda f: f.form_id)
@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_what_the_client_reads_is_large_and_dark(spec, paper):
    texts = _texts(spec, paper)
    for item in spec.items:
        for words in (item.prompt, item.left, item.right):
            for t in _find(texts, words):
                assert t.size >= MIN_PT and max(t.colour) <= MAX_GREY, t
    for field in spec.fields:
        for t in _find(texts, field.label):
            assert t.size >= MIN_PT and max(t.colour) <= MAX_GREY, t
    instruction = [t for t in texts if t.text and t.text in spec.instructions and len(t.text) > 20]
    assert instruction
    for t in instruction:
        assert t.size >= MIN_INSTRUCTION_PT and max(t.colour) <= MAX_GREY, t


@pytest.mark.parametrize("spec", BUILT_IN, ids=lambda f: f.form_id)
def test_the_blank_client_code_field_asks_for_no_names(spec):
    (field,) = [f for f in spec.fields if f.name == "client_code"]
    assert field.label == "Client code (no names)"
    assert _find(_texts(spec), field.label)


@pytest.mark.parametrize("spec", BUILT_IN, ids=lambda f: f.form_id)
def test_the_printer_instruction_is_for_staff_not_in_the_clients_path(spec):
    """It sits under the sheet's code (top right, where staff look), beside the instruction and
    clear of it, before the first scale: not after the last scale, where a client reads on."""
    texts = _texts(spec)
    note = [t for t in texts if t.text in spec.footer and t.size < MIN_PT]
    assert "100 %" in " ".join(t.text for t in note)
    instruction = [t for t in texts if t.text and t.text in spec.instructions and len(t.text) > 20]
    first_heading = min(item.y_mm for item in spec.items) - 16.0
    for t in note:
        assert t.x_mm > spec.block_w_mm / 2 and spec.qr_y_mm < t.y_mm < first_heading
        for line in instruction:
            end_mm = pt_to_mm(stringWidth(line.text, "Helvetica", line.size)) + line.x_mm
            assert end_mm < t.x_mm, (line.text, t.text)
    assert not [t for t in texts if "100 %" in t.text and t.y_mm > first_heading]
    assert spec.footer.lower().startswith("for staff")
    # the instruction, however many lines, ends before the first heading begins
    assert max(t.y_mm for t in instruction) + 1.0 < first_heading - 3.5
