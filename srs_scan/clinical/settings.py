"""The clinic's alert thresholds: public, documented defaults, each overridable in a TOML file.

Every default below names its public source. No proprietary expected-treatment-
response curves are used: only these cut-offs and differences.

The settings file (`settings.toml`) has two tables, for example:

    [srs]
    low_total = 36.0          # SRS total below this -> srs_low_total
    low_total_compare = "<"   # "<" or "<="
    [ors]
    cutoff_adolescent = 28.0

Which file: `--settings FILE`, else $SRS_SCAN_SETTINGS, else `settings.toml` in the
same folder as the clinic's results store. A missing file means the defaults.
This module reads and checks values; the alert rules are in `alerts.py`.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from srs_scan.errors import SettingsError

SETTINGS_ENV = "SRS_SCAN_SETTINGS"
SETTINGS_NAME = "settings.toml"
COMPARES = ("<", "<=")


@dataclass(frozen=True)
class Setting:
    key: str                      # "table.name" in the file
    default: float | int | str
    low: float = 0.0              # allowed range for numbers
    high: float = 40.0
    meaning: str = ""
    source: str = ""


SETTINGS: tuple[Setting, ...] = (
    Setting("srs.low_total", 36.0, 0, 40, "SRS total below this (0-40) -> srs_low_total",
            "OpenFIT KA-01028: 'SRS cut off is 36'; OpenFIT dashboard alert SRSPost < CutoffSRS"),
    Setting("srs.low_total_compare", "<", meaning="'<' or '<=' for srs_low_total",
            source="OpenFIT uses '<' (SRSPost < CutoffSRS); hiboop.com/assessments/srs says '<= 36'"),
    Setting("srs.low_item", 9.0, 0, 10, "an SRS item below this (0-10 cm) -> srs_low_item:ITEM",
            "hiboop.com/assessments/srs: any item below 8-9 prompts a check-in (hunhu uses 7.5)"),
    Setting("srs.low_item_compare", "<", meaning="'<' or '<=' for srs_low_item",
            source="as srs.low_total_compare"),
    Setting("srs.drop", 1.0, 0.1, 40, "SRS total at least this much below the previous SRS -> srs_drop",
            "OpenFIT dashboard alert 'SRS dropped': SRSChangeFromLast <= -1 "
            "(support.openfit.care article 204000069702)"),
    Setting("ors.cutoff_adult", 25.0, 0, 40, "intake ORS at or above this (adult) -> ors_above_cutoff",
            "OpenFIT KA-01031 ('25 for adults'); Miller et al. 2003, J Brief Therapy 2(2)"),
    Setting("ors.cutoff_adolescent", 28.0, 0, 40, "the same for adolescents (13-17)",
            "therapymeetsnumbers.com/made-to-measure-the-outcome-rating-scale"),
    Setting("ors.cutoff_child", 32.0, 0, 40, "the same for children",
            "OpenFIT KA-01031 ('32 for children')"),
    Setting("ors.reliable_change", 5.0, 0.1, 40,
            "reliable change index: ORS this far below intake -> ors_reliable_decline; "
            "not this far above intake by ors.no_gain_session -> ors_no_gain",
            "ORS RCI 5 points (hiboop.com/assessments/ors; psychologyroots.org: 4.3 rounded to 5)"),
    Setting("ors.no_gain_session", 4, 2, 9999,
            "session number by which the ORS should have risen by the reliable change index",
            "no ORS change of at least the RCI by session 3-4 as a not-on-track proxy, in place of the "
            "proprietary ETR curves (OpenFIT ETR overview, article 204000049683)"),
)
BY_KEY = {s.key: s for s in SETTINGS}


@dataclass(frozen=True)
class Settings:
    values: dict[str, float | int | str]
    origins: dict[str, str]       # key -> "default" or the file it came from
    file: Path | None             # the file looked at (None: none was named or found)

    def __getitem__(self, key: str) -> float | int | str:
        return self.values[key]

    def number(self, key: str) -> float:
        return float(self.values[key])

    def below(self, value: float, key: str) -> bool:
        """value < setting, or <= when its `_compare` setting says so."""
        limit = self.number(key)
        return value <= limit if self.values.get(f"{key}_compare") == "<=" else value < limit

    def ors_cutoff(self, age_band: str) -> float:
        return self.number(f"ors.cutoff_{age_band or 'adult'}")


def defaults() -> Settings:
    return Settings({s.key: s.default for s in SETTINGS}, {s.key: "default" for s in SETTINGS}, None)


def settings_path(given: Path | None, store: Path) -> tuple[Path, str]:
    """--settings, else $SRS_SCAN_SETTINGS, else settings.toml beside the clinic's store."""
    if given is not None:
        return given, "--settings"
    if os.environ.get(SETTINGS_ENV):
        return Path(os.environ[SETTINGS_ENV]).expanduser(), f"${SETTINGS_ENV}"
    return store.parent / SETTINGS_NAME, "beside the results store"


def load_settings(path: Path, required: bool = False) -> Settings:
    """The defaults, overridden by the file's values. Raises SettingsError naming a bad key."""
    if not path.is_file():
        if required:
            raise SettingsError(f"no settings file at {path}")
        return Settings(defaults().values, defaults().origins, path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SettingsError(f"{path.name}: cannot read it as TOML ({exc})") from None
    values, origins = dict(defaults().values), dict(defaults().origins)
    for table, entries in raw.items():
        if not isinstance(entries, dict):
            raise SettingsError(f"{path.name}: '{table}' must be a table like [srs] or [ors]")
        for name, value in entries.items():
            key = f"{table}.{name}"
            values[key] = check(key, value, path.name)
            origins[key] = str(path)
    return Settings(values, origins, path)


def check(key: str, value: object, where: str) -> float | int | str:
    """The value if it is allowed for `key`; else SettingsError naming the key and what is allowed."""
    setting = BY_KEY.get(key)
    if setting is None:
        raise SettingsError(f"{where}: unknown setting '{key}' (known: {', '.join(BY_KEY)})")
    if isinstance(setting.default, str):
        if value not in COMPARES:
            raise SettingsError(f"{where}: '{key}' must be \"<\" or \"<=\", got {value!r}")
        return str(value)
    whole = isinstance(setting.default, int)
    if isinstance(value, bool) or not isinstance(value, int | float) or (whole and not isinstance(value, int)):
        kind = "a whole number" if whole else "a number"
        raise SettingsError(f"{where}: '{key}' must be {kind}, got {value!r}")
    if not setting.low <= value <= setting.high:
        raise SettingsError(f"{where}: '{key}' must be from {setting.low:g} to {setting.high:g}, got {value!r}")
    return int(value) if whole else float(value)
