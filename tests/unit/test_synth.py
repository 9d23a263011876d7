"""The synthetic extract generator: deterministic, fast at tiny scale, and one population behind every file
(published aggregates recomputed here, independently, from the record-level extracts)."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from pipelines.synth import generate

SEED = 42
SICKNESS_ORG = ["DATE", "NHSE_REGION_CODE", "NHSE_REGION_NAME", "ICS_CODE", "ICS_NAME", "ORG_CODE", "ORG_NAME",
                "ORG_TYPE", "FTE_DAYS_LOST", "FTE_DAYS_AVAILABLE", "SICKNESS_ABSENCE_RATE_PERCENT"]
HEADERS = {
    "sickness_org_": SICKNESS_ORG,
    "sickness_staff_group_": ["DATE", "NHSE_REGION_CODE", "ORG_CODE", "CLUSTER_GROUP", "BENCHMARK_GROUP",
                              "STAFF_GROUP", "FTE_DAYS_LOST", "FTE_DAYS_AVAILABLE", "SICKNESS_ABSENCE_RATE_PERCENT"],
    "sickness_reason_": SICKNESS_ORG[:8] + ["REASON", "FTE_DAYS_LOST"],
    "turnover_": ["PERIOD", "TYPE", "NHSE_REGION_CODE", "NHSE_REGION_NAME", "ICS_CODE", "ICS_NAME",
                  "REPORTING_ORG_NAME", "REPORTING_ORG_CODE", "CLUSTER_GROUP", "BENCHMARK_GROUP",
                  "STAFF_GROUP_1_NAME", "HC", "FTE"],
    "staff_survey_orgs_": ["survey_year", "org_code", "question_code", "measure", "value", "base"],
    "social_care_la_": ["year", "la_code", "filled_posts", "turnover_rate", "vacancy_rate",
                        "sickness_days_per_worker", "n_workers"],
    "esr_staff_in_post_": ["employee_id", "assignment_id", "org_code", "staff_group", "occupation_code", "fte",
                           "month_end", "start_date", "date_of_birth"],
    "esr_absence_": ["employee_id", "assignment_id", "org_code", "absence_start", "absence_end", "fte",
                     "reason_code", "extract_date"],
    "esr_leavers_": ["employee_id", "org_code", "staff_group", "leave_date", "leaving_reason", "destination"],
    "pulse_": ["response_id", "org_code", "team_id", "submitted_at", *(f"ps{i}" for i in range(1, 8))],
}
SURVEY_ITEMS = {2024: ["q11c", *(f"q12{x}" for x in "abcdefg"), "q20a", "q20b", "q25e", "q25f"]}
SURVEY_ITEMS[2025] = SURVEY_ITEMS[2024]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    out = tmp_path_factory.mktemp("tiny")
    return generate(scale="tiny", out_dir=out, seed=SEED)


def _read(files: list[Path], prefix: str) -> pl.DataFrame:
    """Every file of a family, all columns as text (the test parses what it needs itself)."""
    return pl.concat([pl.read_csv(f, infer_schema=False) for f in files if f.name.startswith(prefix)])


def _months(summary) -> pl.DataFrame:
    """Each month of the window with its first and last day."""
    starts = [date.fromisoformat(f"{m}-01") for m in summary.months]
    ends = [date.fromordinal(s.toordinal() + 31).replace(day=1) for s in starts]
    return pl.DataFrame({"month": summary.months, "ms": starts,
                         "me": [date.fromordinal(e.toordinal() - 1) for e in ends]})


def _sip(summary) -> pl.DataFrame:
    return _read(summary.files, "esr_staff_in_post_").with_columns(
        pl.col("employee_id").cast(pl.Int64), pl.col("fte").cast(pl.Float64),
        pl.col("month_end", "start_date").str.to_date(),
        month=pl.col("month_end").str.slice(0, 7))


def test_tiny_is_summarised(tiny):
    summary = tiny
    assert summary.months[0] == "2024-10" and len(summary.months) == 24
    assert summary.survey_years == [2024, 2025]
    assert 3 <= len([c for c in summary.icbs if c != summary.scenario.new_icb]) <= 4
    assert summary.scenario.new_icb in summary.icbs and len(summary.scenario.new_icb) != 3
    assert all(f.exists() for f in summary.files)


def test_same_seed_same_bytes_other_seed_other_data(tiny, tmp_path):
    summary = tiny
    again = generate(scale="tiny", out_dir=tmp_path / "again", seed=SEED)
    assert [f.name for f in again.files] == [f.name for f in summary.files]
    for a, b in zip(summary.files, again.files, strict=False):
        assert a.read_bytes() == b.read_bytes(), a.name
    other = generate(scale="tiny", out_dir=tmp_path / "other", seed=SEED + 1)
    by_name = {f.name: f for f in other.files}
    for prefix in ("sickness_org_2025-01", "esr_staff_in_post_RM1", "esr_absence_RM1", "staff_survey_orgs_2025"):
        a = next(f for f in summary.files if f.name.startswith(prefix))
        assert a.read_bytes() != by_name[a.name].read_bytes(), a.name


def test_headers_exact(tiny):
    summary = tiny
    for prefix, header in HEADERS.items():
        files = [f for f in summary.files if f.name.startswith(prefix)]
        assert files, prefix
        for f in files:
            assert f.read_text(encoding="utf-8").split("\n", 1)[0] == ",".join(header), f.name
    for f in (f for f in summary.files if f.name.startswith("staff_survey_respondents_")):
        year = int(f.stem.rsplit("_", 1)[1])
        assert f.read_text().split("\n", 1)[0].split(",") == [
            "respondent_id", "org_code", "survey_year", "occupation_group", "weight", *SURVEY_ITEMS[year]]


def test_published_date_and_number_formats(tiny):
    summary = tiny
    org = _read(summary.files, "sickness_org_")
    assert org["DATE"].str.contains(r"^\d{2}/\d{2}/\d{4}$").all()
    assert set(org["DATE"].str.slice(0, 2)) <= {"28", "29", "30", "31"}
    assert org["FTE_DAYS_AVAILABLE"].str.contains(r"^\d+\.\d{1,5}$").all()
    assert org["SICKNESS_ABSENCE_RATE_PERCENT"].str.contains(r"^\d+\.\d{1,2}$").all()
    turnover = _read(summary.files, "turnover_")
    assert turnover["PERIOD"].str.contains(r"^\d{6} to \d{6}$").all()


def test_sickness_org_equals_record_level(tiny):
    """FTE days available = days in month x FTE of staff in post; lost = episode days in month x FTE."""
    summary = tiny
    months = _months(summary)
    available = _sip(summary).join(months, on="month").group_by("org_code", "month").agg(
        avail=(pl.col("fte") * ((pl.col("me") - pl.col("ms")).dt.total_days() + 1)).sum())
    absence = _read(summary.files, "esr_absence_").with_columns(
        pl.col("fte").cast(pl.Float64), start=pl.col("absence_start").str.to_date(),
        end=pl.coalesce(pl.col("absence_end"), pl.col("extract_date")).str.to_date())
    lost = absence.join(months, how="cross").with_columns(
        days=((pl.min_horizontal("end", "me") - pl.max_horizontal("start", "ms")).dt.total_days() + 1)
    ).filter(pl.col("days") > 0).group_by("org_code", "month").agg(lost=(pl.col("days") * pl.col("fte")).sum())
    expected = available.join(lost, on=["org_code", "month"], how="left").with_columns(pl.col("lost").fill_null(0))

    published = _read(summary.files, "sickness_org_").with_columns(
        pl.col("FTE_DAYS_LOST", "FTE_DAYS_AVAILABLE", "SICKNESS_ABSENCE_RATE_PERCENT").cast(pl.Float64),
        month=pl.col("DATE").str.to_date("%d/%m/%Y").dt.strftime("%Y-%m"))
    both = published.join(expected, left_on=["ORG_CODE", "month"], right_on=["org_code", "month"], how="full")
    assert both.height == published.height == expected.height  # the same organisation-months on both routes
    assert (both["FTE_DAYS_AVAILABLE"] - both["avail"]).abs().max() < 1e-6
    assert (both["FTE_DAYS_LOST"] - both["lost"]).abs().max() < 1e-6
    rate = (both["lost"] / both["avail"] * 100 - both["SICKNESS_ABSENCE_RATE_PERCENT"]).abs()
    assert rate.max() <= 0.005 + 1e-9
    assert (both["FTE_DAYS_LOST"] <= both["FTE_DAYS_AVAILABLE"]).all()
    # and the record-level extracts contain long-term, month-spanning and still-open episodes
    length = (absence["end"] - absence["start"]).dt.total_days() + 1
    assert (length >= 28).any() and absence["absence_end"].is_null().any()
    assert (absence["start"].dt.month() != absence["end"].dt.month()).any()


def test_staff_group_and_reason_files_add_up_to_the_organisation(tiny):
    summary = tiny
    keys = ["DATE", "ORG_CODE"]
    org = _read(summary.files, "sickness_org_").with_columns(pl.col("FTE_DAYS_LOST", "FTE_DAYS_AVAILABLE").cast(
        pl.Float64))
    group = _read(summary.files, "sickness_staff_group_").with_columns(
        pl.col("FTE_DAYS_LOST", "FTE_DAYS_AVAILABLE").cast(pl.Float64)).group_by(keys).agg(
        g_lost=pl.col("FTE_DAYS_LOST").sum(), g_avail=pl.col("FTE_DAYS_AVAILABLE").sum())
    reason = _read(summary.files, "sickness_reason_").with_columns(pl.col("FTE_DAYS_LOST").cast(pl.Float64))
    assert set(reason["REASON"]) <= {*(f"S{i}" for i in range(10, 33)), "S98", "S99"}
    by_reason = reason.group_by(keys).agg(r_lost=pl.col("FTE_DAYS_LOST").sum())
    both = org.join(group, on=keys, how="left").join(by_reason, on=keys, how="left").fill_null(0)
    assert (both["FTE_DAYS_LOST"] - both["g_lost"]).abs().max() < 1e-6
    assert (both["FTE_DAYS_AVAILABLE"] - both["g_avail"]).abs().max() < 1e-6
    assert (both["FTE_DAYS_LOST"] - both["r_lost"]).abs().max() < 1e-6


def test_turnover_equals_record_level(tiny):
    summary = tiny
    sip = _sip(summary)
    leavers = _read(summary.files, "esr_leavers_").with_columns(
        pl.col("employee_id").cast(pl.Int64), month=pl.col("leave_date").str.slice(0, 7))
    published = _read(summary.files, "turnover_").with_columns(
        pl.col("HC").cast(pl.Int64), pl.col("FTE").cast(pl.Float64), month=(
            pl.col("PERIOD").str.slice(-6, 4) + "-" + pl.col("PERIOD").str.slice(-2, 2)))
    assert not published.filter(pl.col("TYPE").is_in(["Joiners", "Leavers"]) & (pl.col("HC") == 0)).height
    total = published.filter(pl.col("STAFF_GROUP_1_NAME") == "All staff groups")
    pivot = total.pivot(on="TYPE", index=["REPORTING_ORG_CODE", "month"], values="HC").fill_null(0)

    months = summary.months
    prev = pl.DataFrame({"month": months[1:], "prev": months[:-1]})
    end = sip.group_by("org_code", "month").agg(end=pl.col("employee_id").n_unique())
    joiners = sip.filter(pl.col("start_date").dt.strftime("%Y-%m") == pl.col("month")).group_by(
        "org_code", "month").agg(joiners=pl.col("employee_id").n_unique())
    left = leavers.group_by("org_code", "month").agg(leavers=pl.len())
    # Start of period: people in post at the previous month end, counted where they are at the period's end
    # (in post there, or leaving from there): merger transfers are not turnover.
    where_now = pl.concat([sip.select("employee_id", "month", "org_code").unique(),
                           leavers.select("employee_id", "month", "org_code")])
    start = (sip.select("employee_id", "month").unique().rename({"month": "prev"}).join(prev, on="prev")
             .join(where_now, on=["employee_id", "month"]).group_by("org_code", "month")
             .agg(start=pl.col("employee_id").n_unique()))
    expected = (end.join(prev, on="month").join(start, on=["org_code", "month"], how="full", coalesce=True)
                .join(joiners, on=["org_code", "month"], how="left").join(left, on=["org_code", "month"], how="left")
                .fill_null(0).filter(pl.col("month") != months[0])
                .filter(~pl.col("org_code").is_in(["0DE"])))  # CSUs are not in the turnover publication
    both = pivot.join(expected, left_on=["REPORTING_ORG_CODE", "month"], right_on=["org_code", "month"], how="full")
    assert both.height == pivot.height == expected.height
    assert (both["Denominator at end of period"] == both["end"]).all()
    assert (both["Denominator at start of period"] == both["start"]).all()
    assert (both["Joiners"] == both["joiners"]).all()
    assert (both["Leavers"] == both["leavers"]).all()
    assert (both["start"] + both["joiners"] - both["leavers"] == both["end"]).all()

    # Per staff group: distinct people and summed FTE at the period end.
    by_group = sip.group_by("org_code", "month", "staff_group").agg(
        hc=pl.col("employee_id").n_unique(), fte=pl.col("fte").sum())
    ends = published.filter((pl.col("TYPE") == "Denominator at end of period")
                            & (pl.col("STAFF_GROUP_1_NAME") != "All staff groups") & (pl.col("HC") > 0))
    g = ends.join(by_group, left_on=["REPORTING_ORG_CODE", "month", "STAFF_GROUP_1_NAME"],
                  right_on=["org_code", "month", "staff_group"], how="left")
    assert (g["HC"] == g["hc"]).all() and (g["FTE"] - g["fte"]).abs().max() < 1e-6
    # someone with assignments in two groups counts once in "All staff groups"
    sums = ends.group_by("REPORTING_ORG_CODE", "month").agg(s=pl.col("HC").sum())
    all_end = total.filter(pl.col("TYPE") == "Denominator at end of period")
    assert (sums.join(all_end, on=["REPORTING_ORG_CODE", "month"])
            .select((pl.col("s") >= pl.col("HC")).all()).item())


def test_survey_results_are_aggregates_of_respondents(tiny):
    summary = tiny
    for year in summary.survey_years:
        items = SURVEY_ITEMS[year]
        resp = _read([f for f in summary.files if f.name.endswith(f"_{year}.csv")], "staff_survey_respondents_")
        long = resp.unpivot(index="org_code", on=items, variable_name="question_code",
                            value_name="answer").drop_nulls("answer").with_columns(pl.col("answer").cast(pl.Int64))
        assert long["answer"].is_between(1, 5).all()
        positive = (pl.when(pl.col("question_code") == "q11c").then(pl.col("answer") == 1)
                    .otherwise(pl.col("answer") >= 4))
        expected = long.group_by("org_code", "question_code").agg(base=pl.len(), pct=positive.mean() * 100)
        published = pl.read_csv(next(f for f in summary.files if f.name == f"staff_survey_orgs_{year}.csv"))
        assert set(published["measure"]) == {"pct_yes", "pct_often_always", "pct_positive"}
        assert set(published["question_code"]) == set(items)
        both = published.join(expected, on=["org_code", "question_code"], how="full")
        assert both.height == published.height == expected.height
        assert (both["base"] == both["base_right"]).all()
        assert (both["value"] - both["pct"]).abs().max() <= 0.005 + 1e-9


def test_scenario_in_ods_snapshots_and_published_ics_codes(tiny):
    summary = tiny
    sc = summary.scenario
    snapshots = {}
    for f in (f for f in summary.files if f.name.startswith("ods_etr_")):
        raw = f.read_bytes()
        assert raw.endswith(b"\r\n") and b"\n" not in raw.replace(b"\r\n", b"")
        lines = raw.decode().split("\r\n")[:-1]
        assert all(line.startswith('"') and line.endswith('"') and line.count('","') == 26 for line in lines)
        rows = {r[0]: r for r in (line[1:-1].split('","') for line in lines)}
        snapshots[f.stem.rsplit("_", 1)[1]] = rows
    first, moved, merged, icb_merged = (snapshots[k] for k in ("20241001", "20250401", "20250701", "20260401"))
    assert first[sc.moving_trust][3] == sc.move_from and moved[sc.moving_trust][3] == sc.move_to
    assert first[sc.absorbed_trust][11] == "" and merged[sc.absorbed_trust][11] == "20250630"
    assert icb_merged[sc.absorbed_trust][11] == "20250630"
    assert first[sc.absorbing_trust][3] in sc.merging_icbs and icb_merged[sc.absorbing_trust][3] == sc.new_icb
    assert all(r[1] == r[1].upper() and len(r[10]) == 8 for r in first.values())

    org = _read(summary.files, "sickness_org_").with_columns(
        month=pl.col("DATE").str.to_date("%d/%m/%Y").dt.strftime("%Y-%m"))
    ics = {(r["ORG_CODE"], r["month"]): r["ICS_CODE"] for r in org.iter_rows(named=True)}
    assert ics[(sc.moving_trust, "2025-03")] == sc.move_from and ics[(sc.moving_trust, "2025-04")] == sc.move_to
    assert ics[(sc.absorbing_trust, "2026-03")] in sc.merging_icbs
    assert ics[(sc.absorbing_trust, "2026-04")] == sc.new_icb
    assert (sc.absorbed_trust, "2025-06") in ics and (sc.absorbed_trust, "2025-07") not in ics
    for old in sc.merging_icbs:
        assert (old, "2026-03") in ics and (old, "2026-04") not in ics
    assert (sc.new_icb, "2026-04") in ics and (sc.new_icb, "2026-03") not in ics
    icbs = org.filter(pl.col("ORG_TYPE") == "Integrated Care Board")
    assert (icbs["ICS_CODE"] == icbs["ORG_CODE"]).all()
    assert org.filter(pl.col("ICS_CODE") == "QZZ")["ORG_TYPE"].unique().to_list() == ["Commissioning Support Unit"]
    turnover = _read(summary.files, "turnover_")
    assert "QZZ" not in set(turnover["ICS_CODE"]) and sc.new_icb in set(turnover["ICS_CODE"])


def test_strain_shows_in_every_source(tiny):
    """Worse organisations: more sickness, more of it S10, more burnout; overall levels are plausible."""
    summary = tiny
    org = _read(summary.files, "sickness_org_").with_columns(pl.col("FTE_DAYS_LOST", "FTE_DAYS_AVAILABLE").cast(
        pl.Float64))
    rate = org["FTE_DAYS_LOST"].sum() / org["FTE_DAYS_AVAILABLE"].sum() * 100
    assert 3 < rate < 8
    reason = _read(summary.files, "sickness_reason_").with_columns(pl.col("FTE_DAYS_LOST").cast(pl.Float64))
    share = reason.group_by("REASON").agg(pl.col("FTE_DAYS_LOST").sum()).with_columns(
        s=pl.col("FTE_DAYS_LOST") / pl.col("FTE_DAYS_LOST").sum() * 100)
    s10 = share.filter(pl.col("REASON") == "S10")["s"].item()
    assert 12 < s10 < 40
    winter = org.filter(pl.col("DATE").str.slice(3, 2).is_in(["12", "01", "02"]))
    summer = org.filter(pl.col("DATE").str.slice(3, 2).is_in(["06", "07", "08"]))
    assert (winter["FTE_DAYS_LOST"].sum() / winter["FTE_DAYS_AVAILABLE"].sum()
            > summer["FTE_DAYS_LOST"].sum() / summer["FTE_DAYS_AVAILABLE"].sum())


def test_social_care_and_pulse(tiny):
    summary = tiny
    tables = {int(f.stem[-4:]): pl.read_csv(f) for f in summary.files if f.name.startswith("social_care_la_")}
    assert sorted(tables) == summary.survey_years
    fractions = [y for y, t in tables.items() if t["turnover_rate"].max() <= 1]
    assert len(fractions) == 1 and len(tables) - 1 == sum(t["turnover_rate"].max() > 1 for t in tables.values())
    assert all((t["n_workers"] < 10).sum() >= 2 for t in tables.values())
    assert all(t["la_code"].str.contains(r"^E0[6-9]\d{6}$").all() for t in tables.values())
    pulse = _read(summary.files, "pulse_")
    assert pulse.height > 0
    assert pulse.select(pl.col(f"ps{i}").cast(pl.Int64).is_between(1, 7).all() for i in range(1, 8)).row(0) == (
        True,) * 7
    assert pulse["submitted_at"].str.contains(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$").all()


def test_record_level_selection_leaves_published_files_unchanged(tiny, tmp_path):
    summary = tiny
    only = generate(scale="tiny", out_dir=tmp_path, seed=SEED, record_level_orgs=["RM1"])
    local = [f.name for f in only.files if f.name.startswith(("esr_", "staff_survey_respondents_"))]
    assert local and all("_RM1" in name for name in local)
    full = {f.name: f for f in summary.files}
    for f in only.files:
        if f.name.startswith(("sickness_", "turnover_", "staff_survey_orgs_", "ods_etr_", "social_care_")):
            assert f.read_bytes() == full[f.name].read_bytes(), f.name


def test_unknown_scale_is_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown scale"):
        generate(scale="huge", out_dir=tmp_path)
