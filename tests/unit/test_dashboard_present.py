"""The dashboard's presentation rules: a value or the reason it is missing, withheld cells in words,
signals in symbols and words (never colour alone)."""
from __future__ import annotations

import sys
from datetime import date

import pytest

from pipelines.settings import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "dashboards"))
import present  # noqa: E402


def test_a_missing_value_shows_its_reason_never_a_blank_or_zero():
    assert present.percent(12.345, 2) == "12.35%"
    assert present.percent(0.0, 2) == "0.00%"  # a published zero is a zero
    assert present.percent(None, reason="incomplete window: 6 of 12 months") == "incomplete window: 6 of 12 months"
    assert present.percent(float("nan")) == present.NOT_PUBLISHED


def test_withheld_survey_cells_say_why():
    assert present.survey_withheld("<11", 11) == "withheld (fewer than 11 responses)"
    assert present.survey_withheld("withheld", 11).startswith("withheld (")
    assert present.survey_percent(None, True, "<11", 11) == "withheld (fewer than 11 responses)"
    assert present.survey_percent(46.7, False, "50", 11, 35.4, 58.3) == "46.7% (95% CI 35.4-58.3%)"
    assert present.withheld("330 or fewer FTE days available") == "withheld (330 or fewer FTE days available)"


@pytest.mark.parametrize("signal, symbol, word", [("special_cause_concern", "▲", "concern"),
                                                  ("special_cause_improvement", "▼", "improvement"),
                                                  ("common_cause", "●", "Common cause")])
def test_spc_signals_carry_a_symbol_and_words(signal, symbol, word):
    label = present.spc_label(signal)
    assert label.startswith(symbol) and word in label


def test_each_spc_signal_has_its_own_marker_shape():
    assert len({marker for *_, marker in present.SPC.values()}) == len(present.SPC)


def test_no_spc_signal_says_why_and_limits_are_floored_at_zero():
    assert present.spc_label(None, "fewer than 12 points") == "fewer than 12 points"
    assert present.floor_at_zero(-0.4) == 0.0 and present.floor_at_zero(1.2) == 1.2
    assert present.floor_at_zero(None) is None


def test_heatmap_tints_follow_the_words_in_the_cell():
    assert present.band_tint("71 (High)") == present.BAND_TINTS["High"]
    assert present.band_tint("needs 4 components") is None
    assert present.signal_tint("7.58% · ▲ Special cause: concern") == present.SIGNAL_TINTS["concern"]
    assert present.signal_tint("1.60% · ● Common cause") is None


def test_abolished_and_merged_icss_are_explained():
    assert present.ics_label("Norfolk and Waveney", "QMM", date(2026, 3, 31), "East Anglia") == \
        "Norfolk and Waveney (QMM) - abolished Mar 2026, now part of East Anglia"
    note = present.lifecycle_note("QMM", "Norfolk and Waveney", date(2026, 3, 31), "QSYN1", "East Anglia",
                                  "as_at", [])
    assert "abolished after 31 March 2026 into East Anglia" in note
    merged = present.lifecycle_note("QSYN1", "East Anglia", None, None, None, "as_at",
                                    [("QMM", "Norfolk and Waveney", date(2026, 4, 1))])
    assert "formed by merging Norfolk and Waveney (QMM)" in merged and "12 months" in merged
    assert present.lifecycle_note("QH8", "Mid and South Essex", None, None, None, "current", []) is None
