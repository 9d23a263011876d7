"""NHS Staff Survey: organisation results (the project's long form; wide exports through a column map, see
survey_map.py) and respondent-level files (record level: one row per respondent, the answers in one list)."""
from __future__ import annotations

import polars as pl

from .base import ODS_CODE, ROW, Column, Format
from .survey_map import MAPPED_FORMATS

# Organisation codes as the survey publishes them; 2021 rows of merged CCGs join codes with "/" (01T/01V).
SURVEY_ORG_CODE = r"^[A-Z0-9]{3,6}(/[A-Z0-9]{3,6})*$"
QUESTION_CODE = r"q\d+[a-z]*"
# People Promise sub-scores carry the NHS theme code (pp3_2 raising concerns, pp4_2 burnout), not a question number
SUB_SCORE_CODE = r"pp\d+_\d+"
MEASURES = ("pct_positive", "pct_often_always", "pct_yes", "sub_score")
_YEAR = Column("survey_year", pl.Int64, min=2000, max=2100)

SURVEY_ORG_RESULTS = Format(
    name="survey_org_results",
    family="survey",
    table="survey_org_results",
    description="NHS Staff Survey organisation results, long form (survey year x org x question x measure)",
    columns=(
        _YEAR,
        Column("org_code", pl.String, pattern=SURVEY_ORG_CODE),
        Column("question_code", pl.String, pattern=f"^({QUESTION_CODE}|{SUB_SCORE_CODE})$"),
        Column("measure", pl.String, values=MEASURES),
        # percentages 0-100; sub-scores 0-10 (rule below); blank = withheld
        Column("value", pl.Float64, min=0, max=100, nullable=True),
        Column("base", pl.Int64, min=0, nullable=True, thousands=True),
    ),
    key=("survey_year", "org_code", "question_code", "measure"),
    period="survey_year",
    org="org_code",
    rules=(("a sub-score is on a 0-10 scale", "value", "measure = 'sub_score' and value > 10"),),
)

_RESPONDENT_COLUMNS = (
    Column("respondent_id", pl.String, privacy="pseudonymise"),
    Column("org_code", pl.String, pattern=ODS_CODE),
    _YEAR,
    Column("occupation_group", pl.String),
    # occupation-group weight; blank or absent = unweighted
    Column("weight", pl.Float64, required=False, nullable=True, min=0),
)


# a respondent's answered questions, in the file's column order: the questions differ by year, the table does not
# (one row per respondent rather than per answer: a twelfth of the rows to write, check and keep)
ANSWERS = pl.List(pl.Struct({"question_code": pl.String, "answer_code": pl.Int64}))


def respondents_answers(df: pl.DataFrame) -> pl.DataFrame:
    """One row per respondent; `answers` holds (question_code, answer_code) for each question answered, in the
    file's column order."""
    fixed = [ROW, *(c.name for c in _RESPONDENT_COLUMNS)]
    questions = [c for c in df.columns if c not in fixed]
    # long form, then gathered per respondent: columnar work throughout (a list built and filtered row by row took
    # 20x the time)
    answered = (df.select(ROW, *questions)
                .unpivot(index=ROW, on=questions, variable_name="question_code", value_name="answer_code")
                .drop_nulls("answer_code")  # column by column: each respondent's answers stay in column order
                .group_by(ROW).agg(pl.struct("question_code", "answer_code").alias("answers")))
    return (df.select(fixed).join(answered, on=ROW, how="left", maintain_order="left")
            .with_columns(pl.col("answers").cast(ANSWERS).fill_null(pl.lit([], ANSWERS))))


SURVEY_RESPONDENTS = Format(
    name="survey_respondents",
    family="survey",
    table="survey_responses",
    description="NHS Staff Survey respondent-level file (one row per respondent, one column per question code "
                "of that year), loaded as one row per respondent with the answered questions in a list",
    record_level=True,
    columns=_RESPONDENT_COLUMNS,
    # answers are coded as the questionnaire numbers its options (1..5 agree/frequency scales, 1 yes 2 no)
    variable=Column(QUESTION_CODE, pl.Int64, min=1, max=9),
    reshape=respondents_answers,
    output=(*_RESPONDENT_COLUMNS, Column("answers", ANSWERS)),
    key=("survey_year", "org_code", "respondent_id"),
    period="survey_year",
    org="org_code",
)

FORMATS = (SURVEY_ORG_RESULTS, *MAPPED_FORMATS, SURVEY_RESPONDENTS)
