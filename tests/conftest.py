"""Shared fixtures. Real scanner files live outside the repository, in ../shared/realdata."""

from __future__ import annotations

from pathlib import Path

import pytest

from srs_scan.spec import FormSpec, load_form

REPO = Path(__file__).resolve().parents[1]
REALDATA = REPO.parent / "shared" / "realdata"


@pytest.fixture(scope="session")
def spec() -> FormSpec:
    return load_form()


@pytest.fixture(scope="session")
def realdata() -> Path:
    if not REALDATA.is_dir():
        pytest.skip("../shared/realdata is not present (a fresh clone has no shared folder)")
    return REALDATA
