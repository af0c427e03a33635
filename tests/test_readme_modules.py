"""The README's module list names every module of the package, under its own folder, so that a
newcomer finds a module's room from the list (and a new module cannot land unlisted)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _listed() -> dict[str, str]:
    """The module list's text for each folder ("" for the package's own modules)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text[text.index("\nsrs_scan/\n") + 1:]
    block = block[:block.index("\n```")]
    listed: dict[str, str] = {}
    folder = ""
    for line in block.splitlines()[1:]:
        if m := re.match(r"^  (\w+)/\s", line):
            folder = m[1]
        elif re.match(r"^  \S", line):  # a module of the package itself
            folder = ""
        elif re.match(r"^\S", line):  # forms/, samples/, tests/: past the package
            break
        listed[folder] = listed.get(folder, "") + line + "\n"
    return listed


def test_every_module_is_in_the_readme_module_list_under_its_folder():
    listed = _listed()
    missing = []
    for path in sorted((ROOT / "srs_scan").rglob("*.py")):
        rel = path.relative_to(ROOT / "srs_scan")
        if rel.name == "__main__.py" or (rel.name == "__init__.py" and rel.parts[0] not in ("cli", "simulate")):
            continue  # most __init__.py say nothing of their own; cli's and simulate's do the work
        folder = rel.parts[0] if len(rel.parts) > 1 else ""
        if not re.search(rf"(?<![\w.]){re.escape(rel.name)}\b", listed.get(folder, "")):
            missing.append(rel.as_posix())
    assert missing == [], f"add these to the README's module list: {missing}"
