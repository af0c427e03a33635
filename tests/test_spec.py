"""Form files: the default loads, and every kind of mistake gives one clear error."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from srs_scan.errors import FormFileError
from srs_scan.sheets.spec import DEFAULT_FORM, PAPER_SIZES_MM, load_form, load_form_library, mm_to_pt, pt_to_mm


def test_default_form(spec):
    assert spec.item_ids == ("relationship", "goals", "approach", "overall")
    assert spec.line_length_mm == 100.0
    assert [m.id for m in spec.markers] == [0, 1, 2, 3]


def _variant(tmp_path: Path, old: str, new: str, count: int = 1) -> Path:
    text = DEFAULT_FORM.read_text()
    assert old in text, old
    path = tmp_path / "variant.toml"
    path.write_text(text.replace(old, new, count))
    return path


@pytest.mark.parametrize(("old", "new", "message"), [
    ("stop_height = 4.0", "stop_height = 4.0\ncolour = 'red'", "unknown key 'colour'"),
    ('left = "We did not connect"\n', "", r"\[items\[0\]\] is missing 'left'"),
    ('id = "goals"', 'id = "relationship"', "duplicate item id 'relationship'"),
    ("y = 214.0", "y = 260.0", "item 'overall' .* outside the printable area"),
    ("height = 250.0", "height = 270.0", "does not fit letter paper"),
    ("top_right = { id = 1", "top_right = { id = 0", "its own marker id"),
    ("y = 130.0", "y = 100.0", "too close together"),
    ('dictionary = "DICT_4X4_50"', 'dictionary = "DICT_NOPE"', "unknown ArUco dictionary"),
    ("version = 1", 'version = "one"', "'version' must be int"),
    ("id = \"srs\"", "id = \"srs form!\"", "must be a plain word"),
])
def test_form_file_errors(tmp_path, old, new, message):
    with pytest.raises(FormFileError, match=message):
        load_form(_variant(tmp_path, old, new))


def test_missing_items_table(tmp_path):
    text = DEFAULT_FORM.read_text()
    path = tmp_path / "noitems.toml"
    path.write_text(text[: text.index("[[items]]")])
    with pytest.raises(FormFileError, match=re.escape("missing [[items]]")):
        load_form(path)


def test_not_toml_and_missing_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("this is = = not toml")
    with pytest.raises(FormFileError, match="not valid TOML"):
        load_form(bad)
    with pytest.raises(FormFileError, match="not found"):
        load_form(tmp_path / "absent.toml")


def test_library_rejects_two_files_for_one_form(tmp_path):
    (tmp_path / "a.toml").write_text(DEFAULT_FORM.read_text())
    (tmp_path / "b.toml").write_text(DEFAULT_FORM.read_text())
    with pytest.raises(FormFileError, match="already defines"):
        load_form_library([tmp_path])
    assert list(load_form_library()) == [("srs", 1), ("ors", 1)]  # the SRS first


@given(st.floats(min_value=0, max_value=400, allow_nan=False))
def test_mm_pt_round_trip(mm):
    assert pt_to_mm(mm_to_pt(mm)) == pytest.approx(mm, abs=1e-9)


def test_block_fits_every_paper(spec):
    for w, h in PAPER_SIZES_MM.values():
        assert (w - spec.block_w_mm) / 2 >= spec.edge_clearance_mm
        assert (h - spec.block_h_mm) / 2 >= spec.edge_clearance_mm


def test_built_in_forms_come_from_the_top_level_forms_folder_and_nothing_is_a_link():
    """Run from a checkout, the built-in forms are the top-level forms/ folder itself, their one
    source (pyproject.toml ships it as srs_scan/forms; tests/test_installed_wheel.py checks that).
    No link in the package: a Windows checkout without symlinks writes one as a text file."""
    root = Path(__file__).resolve().parents[1]
    assert DEFAULT_FORM == root / "forms" / "srs.toml"
    assert {spec.form_id for spec in load_form_library().values()} == {"srs", "ors"}
    assert [p for p in (root / "srs_scan").rglob("*") if p.is_symlink()] == []
