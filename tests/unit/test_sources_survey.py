"""Survey formats: wide exports through a column map, respondent files loaded long, the long form's rules;
and the row rules of the other published formats."""
from __future__ import annotations

import polars as pl
import pytest

from pipelines.sources import RejectedFile, read_extract
from pipelines.sources.base import ROW, read_text_frame, typed
from pipelines.sources.survey_map import map_format
from tests.fixtures.samples import SAMPLES, write_sample

KEY = b"unit-test-key"

MAP = """
name: test_wide
description: a wide export for tests
columns: {org_code: Org, survey_year: Yr, org_name: Name, benchmarking_group: Group, weighting: Weighted}
org_code_pattern: '^[A-Z0-9]{3,6}(/[A-Z0-9]{3,6})*$'
geography:
  2021: {published_icb_name: Area, published_region_name: Zone}
  default: {published_icb_name: Zone, published_region_name: Area}
no_value: ["NA", "-"]
measures:
  Speak_up_share: {question_code: q25e, measure: pct_positive, scale: 0-1, base: Speak_up_n}
  Raising_score: {question_code: q20a, measure: sub_score, scale: 0-10}
ignored:
  "not needed": [Respondents]
"""
WIDE = """\
Org,Yr,Name,Group,Weighted,Area,Zone,Speak_up_share,Speak_up_n,Raising_score,Respondents
RJ1,2021,Guy's,Acute,Occupation Group,Our Healthier South East London,London,0.6125,800,6.5,100
01T/01V,2021,Merged CCG,CCGs,Unweighted,-,North West,NA,NA,7.25,100
RJ1,2023,Guy's,Acute,Occupation Group,London,South East London,0.65,900,NA,100
"""


def wide_format(tmp_path):
    path = tmp_path / "test_wide.yml"
    path.write_text(MAP)
    return map_format(path)


def read_wide(tmp_path, text: str = WIDE) -> pl.DataFrame:
    fmt = wide_format(tmp_path)
    df = typed(read_text_frame(text, "wide.csv"), fmt, "wide.csv")
    return fmt.reshape(df)


def test_a_wide_export_becomes_one_row_per_org_year_item_measure_on_the_warehouse_scale(tmp_path):
    long = read_wide(tmp_path).sort(ROW, "question_code")
    assert long.select("org_code", "survey_year", "question_code", "measure", "value", "base", "scale_in_file").rows() == [
        ("RJ1", 2021, "q20a", "sub_score", 6.5, None, "0-10"),
        ("RJ1", 2021, "q25e", "pct_positive", 61.25, 800, "0-1"),
        ("01T/01V", 2021, "q20a", "sub_score", 7.25, None, "0-10"),
        ("RJ1", 2023, "q25e", "pct_positive", 65.0, 900, "0-1"),
    ]


def test_geography_columns_are_read_by_what_they_mean_in_each_year(tmp_path):
    long = read_wide(tmp_path).unique(ROW).sort(ROW)
    assert long.select("survey_year", "published_icb_name", "published_region_name").rows() == [
        (2021, "Our Healthier South East London", "London"),
        (2021, None, "North West"),  # "-": no ICS
        (2023, "South East London", "London"),
    ]


def test_a_value_outside_the_declared_scale_names_the_file_column(tmp_path):
    fmt = wide_format(tmp_path)
    with pytest.raises(RejectedFile) as err:
        typed(read_text_frame(WIDE.replace("0.65,", "65,"), "wide.csv"), fmt, "wide.csv")
    assert (err.value.row, err.value.column) == (4, "speak_up_share")
    assert "above the allowed maximum 1.0" in err.value.message


def test_a_column_the_map_does_not_name_makes_the_export_unrecognised(tmp_path):
    from pipelines.sources.registry import FORMATS, recognise
    fmt = wide_format(tmp_path)
    header = WIDE.splitlines()[0].split(",") + ["New_item_rate"]
    assert set(fmt.unknown({h.lower() for h in header})) == {"new_item_rate"}
    real_header = [c.source for c in next(f for f in FORMATS if f.name == "nhs_staff_survey_orgs_wide").columns]
    with pytest.raises(RejectedFile, match="unknown column 'new_item_rate'"):
        recognise(real_header + ["New_item_rate"], "export.csv")


def test_a_map_with_an_unknown_measure_names_the_map_and_the_entry(tmp_path):
    path = tmp_path / "broken.yml"
    path.write_text(MAP.replace("measure: sub_score", "measure: mean_score"))
    with pytest.raises(ValueError, match="column map broken.yml: measure Raising_score"):
        map_format(path)


def test_respondent_files_load_one_row_per_respondent_with_their_answers_whatever_the_year_s_questions(tmp_path):
    fmt, y2024 = read_extract(write_sample(tmp_path, "survey_respondents"), KEY)
    text_2021 = SAMPLES["survey_respondents"][1].replace("q20a", "q17a").replace(",2024,", ",2021,")
    _, y2021 = read_extract(write_sample(tmp_path, "survey_respondents", text_2021, "respondents_2021.csv"), KEY)
    assert fmt.table == "survey_responses"
    assert y2024.columns == y2021.columns and y2024.height == 2
    answers_2024, answers_2021 = (df.explode("answers").unnest("answers") for df in (y2024, y2021))
    assert sorted(answers_2024["question_code"].unique()) == ["q11c", "q12a", "q12b", "q20a"]
    assert sorted(answers_2021["question_code"].unique()) == ["q11c", "q12a", "q12b", "q17a"]
    assert answers_2024.height == 7  # 8 cells, one unanswered
    assert answers_2024.filter(pl.col("question_code") == "q12b")["answer_code"].to_list() == [5, 3]


def test_a_respondent_answer_outside_the_codes_names_row_and_question(tmp_path):
    text = SAMPLES["survey_respondents"][1].replace("1,4,5,2", "1,4,55,2")
    with pytest.raises(RejectedFile) as err:
        read_extract(write_sample(tmp_path, "survey_respondents", text), KEY)
    assert (err.value.row, err.value.column) == (2, "q12b")


@pytest.mark.parametrize("name, old, new, row, column, message", [
    ("survey_org_results", "q11c,pct_yes,44.46", "q11c,pct_yes,144.46", 3, "value", "above the allowed maximum 100"),
    ("survey_org_results", "q20a,pct_positive,70.1", "q20a,sub_score,70.1", 4, "value", "sub-score is on a 0-10 scale"),
    ("survey_org_results", "pct_yes", "pct_agree", 3, "measure", "'pct_agree' is not one of"),
    ("social_care_la", "E09000003", "S12000033", 3, "la_code", "'S12000033' is not a valid la code"),
    ("turnover_benchmarking", "202404 to 202405,Leavers", "202404 to 202406,Leavers", 4, "period",
     "second month is not the month after its first"),
    ("turnover_benchmarking", ",Leavers,", ",Starters,", 4, "type", "'Starters' is not one of"),
    ("sickness_reason", ",S13,", ",X13,", 3, "reason", "'X13' is not a valid reason"),
    ("staff_in_post", "2024-05-31,2015", "2024-05-30,2015", 4, "month_end", "not the last day of a month"),
    ("absence_episodes", "2024-04-02,2024-04-05", "2024-04-05,2024-04-02", 2, "absence_end", "ends before it starts"),
])
def test_row_rules_name_the_line_and_column(tmp_path, name, old, new, row, column, message):
    text = SAMPLES[name][1]
    assert old in text
    with pytest.raises(RejectedFile) as err:
        read_extract(write_sample(tmp_path, name, text.replace(old, new, 1)), KEY)
    assert (err.value.row, err.value.column) == (row, column)
    assert message in err.value.message
