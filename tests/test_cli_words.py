"""The words srs-scan says: help for every option and exit code, plurals, a quiet broken pipe,
and exit codes that agree between the code, errors.py and the README."""

from __future__ import annotations

import argparse
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from srs_scan import cli
from srs_scan.cli import build_parser, main
from srs_scan.errors import ExitCode

REPO = Path(__file__).resolve().parents[1]


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    (commands,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(commands.choices)


def _readme_exit_codes() -> dict[int, str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    table = text[text.index("## Exit codes"):].split("\n\n")[1]
    return {int(m[1]): m[2] for m in re.finditer(r"^\| (\d+) \| (.+?) \|$", table, re.M)}


def test_no_arguments_prints_the_help(capsys):
    assert main([]) == 0
    out = capsys.readouterr().out
    assert "usage: srs-scan" in out and "scan" in out and "review" in out


@pytest.mark.parametrize("name", sorted(_subparsers()))
def test_every_option_has_help_and_every_command_lists_its_exit_codes(name):
    parser = _subparsers()[name]
    for action in parser._actions:
        assert action.help, f"{name} {action.option_strings or action.dest} has no help text"
    text = parser.format_help()
    codes = cli.COMMAND_EXIT_CODES.get(name, cli.COMMAND_EXIT_CODES["forms"])
    listed = {int(c) for c in re.findall(r"^  (\d+) ", text[text.index("exit codes:"):], re.M)}
    assert listed == set(codes)
    assert "%%" not in text  # argparse does not %-format a description or epilog


def test_exit_codes_agree_between_code_errors_py_and_readme():
    readme = _readme_exit_codes()
    assert set(readme) == {int(c) for c in ExitCode}
    for code, words in cli.EXIT_CODE_WORDS.items():
        assert readme[int(code)] == words
    assert "password" in readme[ExitCode.SOME_INPUTS_FAILED]
    assert "password" not in readme[ExitCode.BAD_ARGUMENTS]


def test_a_wrong_password_exits_as_documented(realdata, tmp_path):
    locked = realdata / "bad_input" / "paperless__password-is-test.pdf"
    code = main(["scan", str(locked), "-o", str(tmp_path / "r.csv"), "-q", "--jobs", "1",
                 "--password", "wrong"])
    assert code == ExitCode.SOME_INPUTS_FAILED  # as the README says for a password


def test_one_page_one_error_in_words(tmp_path, capsys):
    bad = tmp_path / "torn.pdf"
    bad.write_bytes(b"%PDF-1.4 not really\n%%EOF\n")
    assert main(["scan", str(bad), "-o", str(tmp_path / "r.csv"), "--jobs", "1"]) == 3
    err = capsys.readouterr().err
    assert "1 page " in err and "1 error" in err
    assert "1 pages" not in err and "1 errors" not in err
    # "read" is the work done; a page with nothing flagged is "ok"
    assert re.search(r"0 ok, 0 to review", err), err


def test_the_console_says_why_each_page_failed(tmp_path, capsys):
    inbox = tmp_path / "in"
    inbox.mkdir()
    for i in range(7):
        (inbox / f"notes{i}.txt").write_text(f"notes {i}\n")
    (inbox / "torn.pdf").write_bytes(b"%PDF-1.4 not really\n%%EOF\n")
    files = sorted(str(p) for p in inbox.iterdir())
    assert main(["scan", files[-1], "-o", str(tmp_path / "one.csv"), "--jobs", "1"]) == 3
    err = capsys.readouterr().err
    assert "torn.pdf" in err.splitlines()[-1], err   # named under the summary, with its reason
    assert main(["scan", *files, "-o", str(tmp_path / "r.csv"), "--jobs", "1"]) == 3
    lines = capsys.readouterr().err.splitlines()
    named = [ln for ln in lines if "not a scan: unsupported file type .txt" in ln]
    assert len(named) == 5, lines                     # the first five, then where the rest are
    assert "and 3 more errors: see the reason column of" in lines[-1], lines


def test_a_closed_pipe_is_quiet(tmp_path, monkeypatch, capsys):
    """`srs-scan audit | head -1`: when the reader of our output goes away, nothing is said."""
    from srs_scan.batch.store import ResultStore

    class ClosedPipe(io.StringIO):
        def write(self, text: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

    db = tmp_path / "r.srs.sqlite"
    ResultStore(db).close()
    monkeypatch.setattr(sys, "stdout", ClosedPipe())
    assert main(["audit", "--db", str(db)]) == 0
    assert capsys.readouterr().err == ""


def test_make_demo_does_not_install_the_test_tools():
    dry = subprocess.run(["make", "-n", "-B", "demo"], cwd=REPO, capture_output=True, text=True,
                         check=True).stdout
    assert "pip install" in dry and "[test]" not in dry
    dry = subprocess.run(["make", "-n", "-B", "test"], cwd=REPO, capture_output=True, text=True,
                         check=True).stdout
    assert "[test]" in dry
