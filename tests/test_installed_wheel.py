"""The package as a user installs it (slow, ~1 min; marked `installed_wheel`): build the wheel
offline, install it into a fresh virtual environment, into a bare folder (as `pip install
--user` or `--target` would) and as an editable checkout (as `make venv` does), and run
`srs-scan forms` from there. The built-in forms' one source is the top-level forms/ folder,
which pyproject.toml ships as the package data srs_scan/forms, found with importlib.resources;
so this fails if they are not in the wheel or not found where the package is installed (they
used to be found by guessing `sys.prefix`, then through a link a Windows checkout breaks).

Offline and bounded: the wheel is built without build isolation (setuptools from the test
extra) and installed with --no-index --no-deps; the fresh environment borrows this one's
dependencies (numpy, OpenCV, ...) through a .pth file, never srs_scan itself.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.installed_wheel


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return proc.stdout


def _source_copy(src: Path) -> Path:
    """A clean copy of what a build reads: the package, the forms, pyproject.toml and README."""
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "srs_scan", src / "srs_scan", ignore=ignore)
    shutil.copytree(ROOT / "forms", src / "forms", ignore=ignore)
    return src


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("wheel")
    src = _source_copy(tmp / "src")  # building in the checkout would leave build/ behind
    _run([sys.executable, "-m", "pip", "wheel", "--no-build-isolation", "--no-deps", "--no-index",
          "-q", "-w", str(tmp / "dist"), str(src)], cwd=tmp)
    (built,) = (tmp / "dist").glob("srs_scan-*.whl")
    return built


def test_the_wheel_holds_every_module_the_forms_and_the_review_page(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert {f"srs_scan/forms/{f.name}" for f in (ROOT / "forms").glob("*.toml")} <= set(names)
    assert "srs_scan/forms/srs.toml" in names
    assert "srs_scan/review/static/review.js" in names
    # pyproject.toml lists the packages (srs_scan.forms is mapped from forms/): none left out
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "srs_scan").rglob("*.py")}
    assert modules - set(names) == set()
    assert not any(n.startswith(("tests/", "benchmarks/", "forms/")) or ".data/" in n for n in names)


def _borrow_dependencies(python: Path) -> None:
    """Let a fresh environment import this one's dependencies (not srs_scan: it is editable
    here, through a .pth file that a path listed in another .pth file does not run)."""
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    Path(purelib, "_borrowed_dependencies.pth").write_text("\n".join(sorted(ours)) + "\n")


def test_installed_in_a_fresh_environment_it_prints_sheets(wheel, tmp_path):
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=tmp_path)
    python = venv / "bin" / "python"
    _borrow_dependencies(python)
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-index",
          "--no-deps", str(wheel)], cwd=tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    where = _run([str(python), "-c", "import srs_scan; print(srs_scan.__file__)"], tmp_path, env)
    assert where.startswith(str(venv)), where
    form = Path(_default_form(python, tmp_path, env))
    assert form.is_relative_to(venv) and form.parts[-3:] == ("srs_scan", "forms", "srs.toml"), form
    out = tmp_path / "sheets.pdf"
    _run([str(venv / "bin" / "srs-scan"), "forms", str(out), "--count", "2"], tmp_path, env)
    assert out.read_bytes().startswith(b"%PDF")

    # Installed into a bare folder (like --user or --target): no share/ beside any prefix.
    target = tmp_path / "target"
    _run([sys.executable, "-m", "pip", "install", "-q", "--no-index", "--no-deps", "--target",
          str(target), str(wheel)], cwd=tmp_path)
    bare = tmp_path / "bare"  # an environment without srs_scan: only the folder has it
    _run([sys.executable, "-m", "venv", "--without-pip", str(bare)], cwd=tmp_path)
    _borrow_dependencies(bare / "bin" / "python")
    env["PYTHONPATH"] = str(target)
    where = _run([str(bare / "bin" / "python"), "-c", "import srs_scan; print(srs_scan.__file__)"],
                 tmp_path, env)
    assert where.startswith(str(target)), where
    assert _default_form(bare / "bin" / "python", tmp_path, env) == str(target / "srs_scan" / "forms" / "srs.toml")
    out2 = tmp_path / "sheets2.pdf"
    _run([str(bare / "bin" / "python"), "-m", "srs_scan", "forms", str(out2), "--count", "1",
          "--paper", "letter"], tmp_path, env)
    assert out2.read_bytes().startswith(b"%PDF")


def _default_form(python: Path, cwd: Path, env: dict[str, str]) -> str:
    return _run([str(python), "-c", "from srs_scan.sheets.spec import DEFAULT_FORM; print(DEFAULT_FORM)"],
                cwd, env).strip()


def test_a_wheel_without_the_forms_is_caught(wheel, tmp_path):
    """What the test above would see if pyproject.toml stopped shipping forms/: a clear message
    and exit code 2 (the forms are not found beside the installed package), not sheets."""
    broken = tmp_path / wheel.name
    with zipfile.ZipFile(wheel) as old, zipfile.ZipFile(broken, "w") as new:
        for item in old.infolist():
            if not item.filename.startswith("srs_scan/forms/"):
                new.writestr(item, old.read(item))
    target = tmp_path / "target"
    _run([sys.executable, "-m", "pip", "install", "-q", "--no-index", "--no-deps", "--target",
          str(target), str(broken)], cwd=tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"PYTHONPATH": str(target)}
    proc = subprocess.run([sys.executable, "-m", "srs_scan", "forms", str(tmp_path / "x.pdf")],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2, proc.stderr
    assert "srs.toml" in proc.stderr and not (tmp_path / "x.pdf").exists()


def test_an_editable_install_finds_the_forms_folder(tmp_path):
    """`make venv` installs the checkout editable: the forms are the checkout's forms/ folder."""
    src = _source_copy(tmp_path / "src")
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=tmp_path)
    python = venv / "bin" / "python"
    _borrow_dependencies(python)
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-index",
          "--no-deps", "--no-build-isolation", "-e", str(src)], cwd=tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    elsewhere = tmp_path / "elsewhere"  # not the checkout: srs_scan comes from the editable install
    elsewhere.mkdir()
    assert _default_form(python, elsewhere, env) == str(src / "forms" / "srs.toml")
    out = elsewhere / "sheets.pdf"
    _run([str(venv / "bin" / "srs-scan"), "forms", str(out), "--form", "ors"], elsewhere, env)
    assert out.read_bytes().startswith(b"%PDF")
