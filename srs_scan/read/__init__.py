"""Scan in, one page to one result: files to page images (`pages`), registration (`register`),
pen marks (`marks`), the whole page (`reader`) and the picture of what was read (`overlay`)."""
