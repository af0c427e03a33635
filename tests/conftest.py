"""Shared fixtures. Real scanner files live outside the repository, in ../shared/realdata."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from srs_scan.sheets.spec import FormSpec, load_form

REPO = Path(__file__).resolve().parents[1]
REALDATA = REPO.parent / "shared" / "realdata"
sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests/drawmarks.py


@pytest.fixture(autouse=True)
def clinic_store(tmp_path_factory, monkeypatch) -> Path:
    """Every test gets its own clinic store: never the real user's data folder or settings."""
    home = tmp_path_factory.mktemp("clinic")
    monkeypatch.setenv("SRS_SCAN_DB", str(home / "clinic.srs.sqlite"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "xdg-data"))
    monkeypatch.delenv("SRS_SCAN_SETTINGS", raising=False)
    return home / "clinic.srs.sqlite"


@pytest.fixture(scope="session")
def spec() -> FormSpec:
    return load_form()


@pytest.fixture(scope="session")
def realdata() -> Path:
    if not REALDATA.is_dir():
        pytest.skip("../shared/realdata is not present (a fresh clone has no shared folder)")
    return REALDATA
