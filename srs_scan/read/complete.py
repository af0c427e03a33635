"""Whether a scan file is whole: the chain of pages in a TIFF, the end marker of a PDF.

A fax or scanner file cut short (a copy stopped half way, a writer that paused) can
still open: a TIFF whose second page is cut off looks like a good one-page file, and
a PDF can be repaired by its reader. These checks read only the file's structure, not
its pixels, and say whether pages may be missing, so that the missing part gets an
error row instead of disappearing.

What they do not do: decode images or judge a page's content (pages.py does that).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

PDF_END_MARKER = b"%%EOF"
PDF_TAIL_BYTES = 1024  # readers accept junk after %%EOF within the last 1024 bytes


@dataclass(frozen=True)
class Chain:
    pages: int     # pages whose directory is complete
    broken: bool   # the chain ends in a link that points past the end or into a cut directory


def tiff_chain(path: Path, max_pages: int) -> Chain:
    """Walk a TIFF's page directories (IFDs) from the header, as the file says they go.

    A chain that loops back on itself ends where it loops (not broken: nothing is cut off);
    a next-page offset beyond the end of the file, or a directory cut short, is broken.
    Classic TIFF and BigTIFF, either byte order."""
    with Path(path).open("rb") as handle:
        handle.seek(0, 2)
        size = handle.tell()

        def read(at: int, length: int) -> bytes | None:
            if at + length > size:
                return None
            handle.seek(at)
            return handle.read(length)

        head = read(0, 16) or read(0, 8)
        if head is None or head[:2] not in (b"II", b"MM"):
            return Chain(0, True)
        order = "<" if head[:2] == b"II" else ">"
        if struct.unpack(order + "H", head[2:4])[0] == 43:  # BigTIFF: 8-byte offsets, 20-byte entries
            if len(head) < 16:
                return Chain(0, True)
            offset_fmt, count_fmt, entry = order + "Q", order + "Q", 20
            offset = struct.unpack(offset_fmt, head[8:16])[0]
        else:
            offset_fmt, count_fmt, entry = order + "I", order + "H", 12
            offset = struct.unpack(offset_fmt, head[4:8])[0]
        offset_size, count_size = struct.calcsize(offset_fmt), struct.calcsize(count_fmt)
        pages, seen = 0, set()
        while offset != 0 and offset not in seen and pages < max_pages:
            seen.add(offset)
            count = read(offset, count_size)
            if count is None:
                return Chain(pages, True)
            link = offset + count_size + struct.unpack(count_fmt, count)[0] * entry
            following = read(link, offset_size)
            if following is None:
                return Chain(pages, True)
            pages += 1
            offset = struct.unpack(offset_fmt, following)[0]
        return Chain(pages, False)


def pdf_is_cut_short(path: Path) -> bool:
    """True when the PDF does not end with its end marker (%%EOF) where readers look for it."""
    with Path(path).open("rb") as handle:
        handle.seek(0, 2)
        size = handle.tell()
        handle.seek(max(0, size - PDF_TAIL_BYTES))
        return PDF_END_MARKER not in handle.read()
