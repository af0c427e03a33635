"""srs-scan: print, scan and score Session Rating Scale sheets, locally."""

__version__ = "0.1.0"
