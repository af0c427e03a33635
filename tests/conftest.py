"""Shared fixtures. Real scanner files live outside the repository, in ../shared/realdata."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from srs_scan.sheets.spec import FormSpec, load_form

REPO = Path(__file__).resolve().parents[1]
REALDATA = REPO.parent / "shared" / "realdata"
sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests/drawmarks.py


@pytest.fixture(scope="session")
def spec() -> FormSpec:
    return load_form()


@pytest.fixture(scope="session")
def realdata() -> Path:
    if not REALDATA.is_dir():
        pytest.skip("../shared/realdata is not present (a fresh clone has no shared folder)")
    return REALDATA
