"""The reference a data team would write today: ICS monthly sickness and leaver rates in plain pandas,
from the record-level ESR extracts, one organisation's files at a time.

Same definitions as the marts (METRICS.md): sickness rate = sum of FTE days lost / sum of FTE days
available x 100; leaver rate = leavers / mean(headcount at the start, headcount at the end) x 100; an
organisation counts towards the ICB the published monthly sickness file places it in that month.

Run: python -m tests.benchmarks.pandas_reference EXTRACTS_DIR OUT.csv
"""
from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

OUTSIDE_ICS = "QZZ"


def membership(extracts: Path) -> pd.DataFrame:
    """org_code, month, icb_code as at the month, from the published monthly sickness files (ICS_CODE)."""
    frames = [pd.read_csv(path, usecols=["DATE", "ORG_CODE", "ICS_CODE"], dtype=str)
              for path in sorted(extracts.glob("sickness_org_*.csv"))]
    df = pd.concat(frames, ignore_index=True)
    df["month"] = pd.to_datetime(df["DATE"], format="%d/%m/%Y").dt.to_period("M")
    return df.rename(columns={"ORG_CODE": "org_code", "ICS_CODE": "icb_code"})[["org_code", "month", "icb_code"]]


def to_ics(org_months: pd.DataFrame, placed: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Sums of `columns` per ICB and month; organisations outside any ICS (QZZ) are left out."""
    df = org_months.merge(placed, on=["org_code", "month"])
    df = df[df["icb_code"] != OUTSIDE_ICS]
    return df.groupby(["icb_code", "month"], as_index=False)[columns].sum()


def org_sickness(staff_file: Path, absence_file: Path) -> pd.DataFrame:
    sip = pd.read_csv(staff_file, usecols=["org_code", "fte", "month_end"], parse_dates=["month_end"])
    sip["month"] = sip["month_end"].dt.to_period("M")
    sip["available"] = sip["fte"] * sip["month_end"].dt.days_in_month
    available = sip.groupby(["org_code", "month"], as_index=False)["available"].sum()

    ep = pd.read_csv(absence_file, usecols=["org_code", "absence_start", "absence_end", "fte", "extract_date"],
                     parse_dates=["absence_start", "absence_end", "extract_date"])
    ep["absence_end"] = ep["absence_end"].fillna(ep["extract_date"])
    first, last = ep["absence_start"].dt.to_period("M"), ep["absence_end"].dt.to_period("M")
    span = (last - first).apply(lambda offset: offset.n) + 1
    months = ep.loc[ep.index.repeat(span)].copy()
    months["month"] = pd.PeriodIndex(first.repeat(span)) + months.groupby(level=0).cumcount().to_numpy()
    month_start = months["month"].dt.start_time
    month_end = months["month"].dt.end_time.dt.normalize()
    start = months["absence_start"].where(months["absence_start"] > month_start, month_start)
    end = months["absence_end"].where(months["absence_end"] < month_end, month_end)
    months["lost"] = ((end - start).dt.days + 1) * months["fte"]
    lost = months.groupby(["org_code", "month"], as_index=False)["lost"].sum()
    out = available.merge(lost, on=["org_code", "month"], how="left")
    return out.fillna({"lost": 0.0})


def org_leavers(staff_file: Path, leavers_file: Path) -> pd.DataFrame:
    sip = pd.read_csv(staff_file, usecols=["employee_id", "org_code", "month_end"], parse_dates=["month_end"])
    sip["month"] = sip["month_end"].dt.to_period("M")
    headcount = sip.groupby(["org_code", "month"])["employee_id"].nunique().rename("headcount").reset_index()
    headcount = headcount.sort_values("month")
    headcount["headcount_start"] = headcount.groupby("org_code")["headcount"].shift(1)
    lv = pd.read_csv(leavers_file, usecols=["org_code", "leave_date"], parse_dates=["leave_date"])
    lv["month"] = lv["leave_date"].dt.to_period("M")
    leavers = lv.groupby(["org_code", "month"]).size().rename("leavers").reset_index()
    out = headcount.merge(leavers, on=["org_code", "month"], how="left").fillna({"leavers": 0})
    return out.dropna(subset=["headcount_start"])


def ics_marts(extracts: Path) -> pd.DataFrame:
    placed = membership(extracts)
    sickness, leavers = [], []
    for staff_file in sorted(extracts.glob("esr_staff_in_post_*.csv")):
        code = staff_file.stem.removeprefix("esr_staff_in_post_")
        sickness.append(org_sickness(staff_file, extracts / f"esr_absence_{code}.csv"))
        leavers.append(org_leavers(staff_file, extracts / f"esr_leavers_{code}.csv"))
    s = to_ics(pd.concat(sickness, ignore_index=True), placed, ["lost", "available"])
    s["sickness_rate"] = s["lost"] / s["available"] * 100
    t = to_ics(pd.concat(leavers, ignore_index=True), placed, ["leavers", "headcount_start", "headcount"])
    t["leaver_rate"] = t["leavers"] / ((t["headcount_start"] + t["headcount"]) / 2) * 100
    return s.merge(t, on=["icb_code", "month"], how="outer").sort_values(["icb_code", "month"])


if __name__ == "__main__":
    result = ics_marts(Path(sys.argv[1]))
    result.to_csv(sys.argv[2], index=False)
    print(f"{len(result)} ICS-months")
