"""Text that came from a person or a sheet, made safe to store, print and put in a cell.

Control and format characters (Unicode categories Cc, Cf, Zl, Zp: tab, CR, LF, escape
sequences, bidirectional overrides, zero-width characters) can split a CSV row, move a
terminal's cursor or hide text. `plain` removes them (for names, notes and anything
stored or printed); `visible` shows each as U+FFFD (for file names and values, where a
reader must see that something was there).
"""

from __future__ import annotations

import re
import unicodedata

UNSEEN = "\ufffd"   # what a control or format character is shown as
_BREAKS = re.compile(r"[\r\n\t\u2028\u2029\x0b\x0c\x85]+")


def unseen(char: str) -> bool:
    """A character that is not shown as itself: Unicode Cc, Cf, Zl or Zp."""
    return unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp")


def visible(text: str) -> str:
    """The text with every control and format character shown as U+FFFD."""
    return "".join(UNSEEN if unseen(c) else c for c in text)


def plain(text: str) -> str:
    """The text without control and format characters (line breaks and tabs become one space),
    trimmed."""
    text = _BREAKS.sub(" ", text or "")
    return "".join(c for c in text if not unseen(c)).strip()
