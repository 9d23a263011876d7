"""How published values are shown: pure functions from mart values to the words and marks a reader sees.

Nothing here computes a measure; it only says a value, or why there is none. A withheld cell is never shown
as zero or blank, and meaning is never carried by colour alone (every colour comes with a word or a symbol).
"""
from __future__ import annotations

import math
from datetime import date

# NHS identity colours (NHS England's colour palette)
NHS_BLUE = "#005EB8"
NHS_DARK_BLUE = "#003087"
NHS_BRIGHT_BLUE = "#0072CE"
NHS_LIGHT_BLUE = "#41B6E6"
NHS_AQUA_GREEN = "#00A499"
NHS_WARM_YELLOW = "#FFB81C"
NHS_ORANGE = "#ED8B00"
NHS_RED = "#DA291C"
NHS_DARK_GREY = "#425563"
NHS_MID_GREY = "#768692"
NHS_PALE_GREY = "#E8EDEE"

BASES = {"as_at": "Boundaries at the time", "current": "Today's boundaries (history restated)"}
BASIS_HELP = ("Boundaries at the time count each organisation in the ICS it belonged to that month, so ICSs "
              "abolished by a merger keep their history. Today's boundaries restate all history on the ICSs in "
              "force now.")

# Making Data Count point types: a symbol and words beside the colour
SPC = {
    "special_cause_concern": ("▲", "Special cause: concern", NHS_ORANGE, "triangle-up"),
    "special_cause_improvement": ("▼", "Special cause: improvement", NHS_BRIGHT_BLUE, "triangle-down"),
    "common_cause": ("●", "Common cause", NHS_MID_GREY, "circle"),
}
SPC_RULES = {
    "outside_limits": "a point outside the process limits",
    "trend": "7 points in a row rising or falling",
    "two_of_three": "2 of 3 points near a limit on one side",
    "run": "7 points in a row on one side of the centre",
}
BRI_BANDS = {"low": "Low", "moderate": "Moderate", "high": "High"}
# light tints of NHS colours behind dark text (contrast above 4.5:1); the band is always written in the cell
BAND_TINTS = {"High": "#F8D4D1", "Moderate": "#FFEFC7", "Low": "#D5EEF9"}
SIGNAL_TINTS = {"concern": "#FCE3C2", "improvement": "#D5EEF9"}
BRI_COMPONENTS = {
    "c_burnout": "Burnout (survey)",
    "c_psych_safety_deficit": "Not feeling safe to raise concerns (survey)",
    "c_stress": "Unwell from work stress (survey)",
    "c_sickness": "Sickness absence, 12 months",
    "c_mh_absence": "Mental-health share of absence, 12 months",
    "c_leavers": "Leaver rate, 12 months",
    "c_social_care_turnover": "Social care turnover",
}
ALERT_REASONS = {
    "bri_high": "Burnout Risk Index high",
    "sickness_special_cause_concern": "Sickness absence: special cause of concern",
    "leavers_special_cause_concern": "Leaver rate: special cause of concern",
    "psi_significant_fall": "Speaking up: significant fall",
}
NOT_PUBLISHED = "not published"


def missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def number(value, digits: int = 1, unit: str = "", reason: str | None = None) -> str:
    """A figure with its unit, or the reason it is missing."""
    if missing(value):
        return reason or NOT_PUBLISHED
    return f"{value:,.{digits}f}{unit}"


def percent(value, digits: int = 1, reason: str | None = None) -> str:
    return number(value, digits, "%", reason)


def interval(lower, upper, digits: int = 1) -> str:
    if missing(lower) or missing(upper):
        return ""
    return f"{lower:.{digits}f}-{upper:.{digits}f}%"


def survey_withheld(label: str | None, min_respondents: int) -> str:
    """Why a survey cell is withheld, from its n_respondents_label ("<11" or "withheld")."""
    if label and label.startswith("<"):
        return f"withheld (fewer than {min_respondents} responses)"
    return "withheld (to protect a smaller group nearby)"


def withheld(reason: str | None) -> str:
    """A withheld cell in words, from the mart's suppression_reason."""
    return f"withheld ({reason})" if reason else "withheld"


def survey_percent(value, suppressed, label, min_respondents: int, lower=None, upper=None, reason=None) -> str:
    if suppressed:
        return survey_withheld(label, min_respondents)
    text = percent(value, reason=reason)
    band = interval(lower, upper)
    return f"{text} (95% CI {band})" if band and not missing(value) else text


def change(value, significant, digits: int = 1) -> str:
    """A year-on-year change in points with its significance in words."""
    if missing(value):
        return "no previous year"
    word = "significant" if significant else "not significant"
    return f"{value:+.{digits}f} pts ({word})"


def spc_label(signal: str | None, reason: str | None = None) -> str:
    """The variation icon: a symbol and words (Making Data Count), or why there is none."""
    if signal not in SPC:
        return reason or "no SPC limits published"
    symbol, words, _, _ = SPC[signal]
    return f"{symbol} {words}"


def with_spc(value_text: str, signal: str | None, reason: str | None) -> str:
    return f"{value_text} · {spc_label(signal, reason)}"


def bri_label(bri, band, reason) -> str:
    if missing(bri):
        return reason or NOT_PUBLISHED
    return f"{bri:.0f} ({BRI_BANDS.get(band, band)})"


def band_tint(text: str) -> str | None:
    """Heatmap colour of a BRI cell ("71 (High)"), from the band it names."""
    return next((tint for band, tint in BAND_TINTS.items() if text.endswith(f"({band})")), None)


def signal_tint(text: str) -> str | None:
    """Heatmap colour of a cell carrying an SPC label, from the signal it names."""
    return next((tint for word, tint in SIGNAL_TINTS.items() if f"Special cause: {word}" in text), None)


def month_label(value) -> str:
    return value.strftime("%b %Y") if isinstance(value, date) else str(value)


def floor_at_zero(value):
    """Process limits are drawn no lower than 0: a rate cannot be negative."""
    return None if missing(value) else max(0.0, value)


def ics_label(name: str, code: str, valid_to=None, successor_name: str | None = None) -> str:
    """An ICS in a list: name and code, and when it ended and into what."""
    text = f"{name} ({code})"
    if valid_to is not None:
        text += f" - abolished {month_label(valid_to)}" + (f", now part of {successor_name}" if successor_name else "")
    return text


def lifecycle_note(code: str, name: str, valid_to, successor_code, successor_name, basis: str,
                   predecessors: list[tuple[str, str, date]]) -> str | None:
    """Why an abolished or merged ICS looks as it does on this basis, in words."""
    notes = []
    if valid_to is not None:
        into = f" into {successor_name or successor_code}" if successor_code else ""
        notes.append(f"{name} was abolished after {valid_to:%d %B %Y}{into}. On boundaries at the time its figures "
                     f"stop then; on today's boundaries its organisations are counted in "
                     f"{successor_name or 'their ICS today'} for the whole history.")
    if predecessors:
        merged = ", ".join(f"{n} ({c})" for c, n, _ in predecessors)
        start = min(d for _, _, d in predecessors if d is not None) if any(d for _, _, d in predecessors) else None
        notes.append(f"{name} was formed by merging {merged}"
                     + (f" (from {start:%d %B %Y})" if start else "") + ". "
                     + ("On boundaries at the time it has figures only from then, so 12-month rates need 12 months "
                        "on these boundaries before they appear." if basis == "as_at" else
                        "On today's boundaries its history includes those ICSs' organisations."))
    return " ".join(notes) or None
