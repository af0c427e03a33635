"""Alert rules and settings: each rule on small hand-made histories, the cut-off per age band,
scan order not mattering, missing values giving no alert, and bad settings named by key."""

from __future__ import annotations

import random

import pytest

from srs_scan.clinical.alerts import alerts, by_sheet
from srs_scan.clinical.history import Reading, order
from srs_scan.clinical.settings import defaults, load_settings
from srs_scan.errors import ExitCode, SettingsError

SRS_ITEMS = ("relationship", "goals", "approach", "overall")
ORS_ITEMS = ("individually", "interpersonally", "socially", "overall")


def _r(measure, session, values, band="", date="", at="2026-12-01T10:00:00"):
    items = SRS_ITEMS if measure == "srs" else ORS_ITEMS
    return Reading((f"{measure}{session}{date}", 1), measure, measure, "C042", session, date, band,
                   tuple(zip(items, values)), at)


def _codes(history, settings=None):
    found = by_sheet(alerts(order(history), settings or defaults()))
    return {key[0]: codes for key, codes in found.items()}


def test_srs_low_total_and_items_and_the_compare_setting(tmp_path):
    history = [_r("srs", 1, (9.0, 9.0, 9.0, 9.0)), _r("srs", 2, (9.5, 9.5, 8.5, 9.5))]
    assert _codes(history) == {"srs2": ("srs_low_item:approach",)}  # 36.0 is not below 36
    path = tmp_path / "settings.toml"
    path.write_text('[srs]\nlow_total_compare = "<="\nlow_item = 8.5\nlow_item_compare = "<="\n')
    assert _codes(history, load_settings(path)) == {"srs1": ("srs_low_total",),
                                                    "srs2": ("srs_low_item:approach",)}


def test_srs_drop_against_the_previous_srs_only_when_both_have_totals():
    history = [_r("srs", 1, (10, 10, 10, 10)), _r("srs", 2, (10, 10, 10, 9.1)),
               _r("srs", 3, (10, 10, 10, 8.0)), _r("srs", 4, (None, 10, 10, 10)),
               _r("srs", 5, (10, 10, 10, 5.0))]
    codes = _codes(history)
    assert "srs_drop" not in codes.get("srs2", ())          # 0.9 lower: less than 1.0
    assert "srs_drop" in codes["srs3"]                      # 1.1 lower
    assert "srs4" not in codes                              # no total: nothing to compare
    assert "srs_drop" not in codes["srs5"]                  # the previous SRS has no total
    assert codes["srs5"] == ("srs_low_total", "srs_low_item:overall")


@pytest.mark.parametrize(("band", "total", "alert"), [
    ("", 24.9, False), ("", 25.0, True), ("adult", 26.0, True),
    ("adolescent", 27.9, False), ("adolescent", 28.0, True),
    ("child", 31.0, False), ("child", 32.0, True)])
def test_ors_above_cutoff_per_age_band_at_intake_only(band, total, alert):
    history = [_r("ors", 1, (total / 4,) * 4, band), _r("ors", 2, (9.0,) * 4, band)]
    codes = _codes(history)
    assert ("ors_above_cutoff" in codes.get("ors1", ())) is alert
    assert "ors_above_cutoff" not in codes.get("ors2", ())


def test_ors_reliable_decline_from_intake():
    history = [_r("ors", 1, (5, 5, 5, 5)), _r("ors", 2, (4, 4, 4, 3.1)), _r("ors", 3, (4, 4, 4, 3.0)),
               _r("ors", 4, (None, 1, 1, 1))]
    codes = _codes(history)
    assert "ors2" not in codes                              # 4.9 below intake
    assert codes["ors3"] == ("ors_reliable_decline",)       # 5.0 below
    assert "ors4" not in codes                              # a flagged item: no alert from a guess


def test_ors_no_gain_by_session_four_and_the_gain_that_ends_it():
    flat = [_r("ors", n, (4, 4, 4, 4 + 0.2 * n)) for n in range(1, 7)]
    assert {k for k, c in _codes(flat).items() if "ors_no_gain" in c} == {"ors4", "ors5", "ors6"}
    gained = [*flat[:4], _r("ors", 5, (6, 6, 6, 6)), _r("ors", 6, (4, 4, 4, 4))]
    assert {k for k, c in _codes(gained).items() if "ors_no_gain" in c} == {"ors4"}
    missing = [flat[0], _r("ors", 2, (None, 4, 4, 4)), *flat[2:]]
    assert not {k for k, c in _codes(missing).items() if "ors_no_gain" in c}  # maybe the gain was there
    path_settings = defaults()
    path_settings.values["ors.no_gain_session"] = 6
    assert {k for k, c in _codes(flat, path_settings).items() if "ors_no_gain" in c} == {"ors6"}


def test_missing_intake_gives_no_ors_change_alerts():
    history = [_r("ors", 1, (5, None, 5, 5)), _r("ors", 2, (1, 1, 1, 1)),
               *[_r("ors", n, (5, 5, 5, 5)) for n in range(3, 7)]]
    assert _codes(history) == {}


def test_scan_order_does_not_matter():
    history = [_r("ors", 1, (7, 7, 7, 7.5), "adolescent"), _r("srs", 1, (9.5, 9.6, 9.4, 9.7)),
               _r("ors", 2, (5, 5, 5, 5)), _r("srs", 2, (8, 9, 9, 9)),
               _r("ors", 3, (4, 4, 4, 4)), _r("srs", 3, (9, 9, 9, 9.5)),
               _r("ors", 4, (5, 5, 6, 5)), _r("srs", 4, (7, 7, 7, 7))]
    want = _codes(history)
    assert want  # the history is built to raise alerts of several kinds
    assert {c for cs in want.values() for c in cs} >= {"srs_drop", "srs_low_total", "ors_above_cutoff",
                                                        "ors_reliable_decline", "ors_no_gain"}
    rng = random.Random(7)
    for _ in range(20):
        shuffled = history[:]
        rng.shuffle(shuffled)
        assert _codes(shuffled) == want


def test_session_then_date_orders_the_history():
    a = _r("srs", 3, (9, 9, 9, 9), date="2026-11-02")
    b = _r("srs", 3, (9, 9, 9, 9), date="2026-11-01")
    c = _r("srs", 2, (9, 9, 9, 9), date="2026-12-01")
    assert [r.key for r in order([a, b, c])] == [c.key, b.key, a.key]


@pytest.mark.parametrize(("text", "named"), [
    ("[srs]\nlow_total = 'high'\n", "srs.low_total"),
    ("[srs]\nlow_total = 41\n", "srs.low_total"),
    ("[srs]\nlow_total_compare = '>'\n", "srs.low_total_compare"),
    ("[ors]\nno_gain_session = 3.5\n", "ors.no_gain_session"),
    ("[ors]\ncutoff_senior = 30\n", "ors.cutoff_senior"),
    ("[ors]\nreliable_change = true\n", "ors.reliable_change"),
    ("srs = 3\n", "'srs'"),
    ("[srs\n", "TOML"),
])
def test_bad_settings_name_the_key(tmp_path, text, named):
    path = tmp_path / "settings.toml"
    path.write_text(text)
    with pytest.raises(SettingsError, match=named.replace(".", r"\.")) as info:
        load_settings(path)
    assert info.value.exit_code == ExitCode.BAD_ARGUMENTS


def test_settings_file_overrides_and_says_where_each_value_came_from(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_text("[ors]\ncutoff_adolescent = 27.5\nno_gain_session = 5\n")
    s = load_settings(path)
    assert s.ors_cutoff("adolescent") == 27.5 and s["ors.no_gain_session"] == 5
    assert s.origins["ors.cutoff_adolescent"] == str(path) and s.origins["srs.low_total"] == "default"
    assert load_settings(tmp_path / "absent.toml").values == defaults().values


def test_settings_command_prints_values_and_where_they_came_from(tmp_path, capsys, monkeypatch, clinic_store):
    from srs_scan.cli import main

    assert main(["settings"]) == 0
    out = capsys.readouterr().out
    assert f"results store: {clinic_store} (from $SRS_SCAN_DB" in out
    assert "srs.low_total = 36   [default]" in out and "ors.cutoff_child = 32   [default]" in out
    beside = clinic_store.parent / "settings.toml"
    beside.write_text("[ors]\ncutoff_adult = 24.5\n")
    assert main(["settings"]) == 0
    assert f"ors.cutoff_adult = 24.5   [{beside}]" in capsys.readouterr().out
    bad = tmp_path / "bad.toml"
    bad.write_text("[srs]\ndrop = -1\n")
    monkeypatch.setenv("SRS_SCAN_SETTINGS", str(bad))
    assert main(["settings"]) == ExitCode.BAD_ARGUMENTS
    assert "'srs.drop' must be from 0.1 to 40, got -1" in capsys.readouterr().err
    assert main(["settings", "--settings", str(tmp_path / "missing.toml")]) == ExitCode.BAD_ARGUMENTS
