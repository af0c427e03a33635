"""One mapping from failure to plain words and exit code (`srs_scan/errors.py`)."""

from __future__ import annotations

import errno
import os
import sqlite3

import numpy as np
import pytest

from srs_scan import fileio
from srs_scan.cli import main
from srs_scan.errors import (EnvironmentFailure, ExitCode, FormFileError, PageRefused,
                             exit_code_for, page_reason)
from srs_scan.read.reader import read_page
from srs_scan.sheets.spec import load_form_library

SECRET = "/home/therapist/C042_clients/sheet.pdf"


@pytest.mark.parametrize("exc", [
    FileNotFoundError(errno.ENOENT, "No such file or directory", SECRET),
    ValueError(f"cannot identify image file {SECRET!r}"),
    SyntaxError(f"broken PNG at {SECRET}"),
    RuntimeError(f"unexpected state in {SECRET}"),
    KeyError(SECRET),
])
def test_a_reason_never_carries_the_exception_text(exc):
    reason = page_reason(exc, "PDF")
    assert "C042" not in reason and "/home" not in reason
    assert reason[0].islower() and len(reason) < 90


def test_reasons_say_what_happened():
    assert page_reason(PageRefused("wrong password")) == "wrong password"
    assert page_reason(OSError("image file is truncated"), "PNG") == "file is damaged (truncated PNG)"
    assert page_reason(EOFError(), "TIFF") == "file is damaged (truncated TIFF)"
    assert page_reason(ValueError("x"), "TIFF") == "file is damaged (unreadable TIFF data)"
    assert page_reason(MemoryError()) == "page too large for the memory available"
    assert "no permission" in page_reason(PermissionError(errno.EACCES, "denied", SECRET))
    assert "please report" in page_reason(ZeroDivisionError())


def test_a_failing_page_gets_plain_words_on_its_row():
    class Broken(np.ndarray):
        @property
        def ndim(self):
            raise RuntimeError(SECRET)

    image = np.zeros((100, 100), np.uint8).view(Broken)
    result = read_page(image, load_form_library(), "x.png", 2)
    assert result.status.value == "error" and SECRET not in result.reason
    assert result.reason.startswith("could not read this page")


@pytest.mark.parametrize("exc, code", [
    (FormFileError("bad"), ExitCode.BAD_ARGUMENTS),
    (EnvironmentFailure("cannot write out.csv: the disk is full"), ExitCode.ENVIRONMENT),
    (OSError(errno.ENOSPC, "No space left on device"), ExitCode.ENVIRONMENT),
    (OSError(errno.EROFS, "Read-only file system"), ExitCode.ENVIRONMENT),
    (PermissionError(errno.EACCES, "Permission denied"), ExitCode.ENVIRONMENT),
    (FileNotFoundError(errno.ENOENT, "No such file"), ExitCode.ENVIRONMENT),
    (sqlite3.OperationalError("database or disk is full"), ExitCode.ENVIRONMENT),
    (KeyboardInterrupt(), ExitCode.INTERRUPTED),
    (ZeroDivisionError(), ExitCode.INTERNAL),
])
def test_exit_codes(exc, code):
    assert exit_code_for(exc) == code


@pytest.mark.parametrize("err, words", [(errno.ENOSPC, "the disk is full"),
                                        (errno.EROFS, "the disk is read-only"),
                                        (errno.EACCES, "no permission")])
def test_a_full_or_read_only_disk_names_the_file_and_the_cause(tmp_path, monkeypatch, capsys,
                                                               err, words):
    def refuse(src, dst):
        raise OSError(err, os.strerror(err))

    monkeypatch.setattr(fileio.os, "replace", refuse)
    out = tmp_path / "sheets.pdf"
    assert main(["forms", str(out), "--count", "1"]) == ExitCode.ENVIRONMENT
    message = capsys.readouterr().err
    assert str(out) in message and words in message and "Traceback" not in message
    assert list(tmp_path.iterdir()) == []  # the temporary file is gone too
