"""One raw contract: the reader Format drives the reader, the raw gate and the dbt source YAML, and the quality
gates do not import the pipeline."""
from __future__ import annotations

import ast
import dataclasses

import duckdb
import polars as pl
import pytest

import pipelines.sources.contract as contract
from expectations.raw import validate_raw
from expectations.runner import Gate
from pipelines.landing import ensure_raw_tables
from pipelines.settings import REPO_ROOT
from pipelines.sources import FORMATS, RejectedFile
from pipelines.sources.base import ROW, typed
from pipelines.sources.sickness import SICKNESS_ORG


def test_no_module_of_expectations_imports_the_pipeline():
    offenders = []
    for path in sorted((REPO_ROOT / "expectations").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] == "pipelines"]
    assert offenders == []


def test_the_committed_dbt_sources_are_the_ones_the_formats_generate():
    files = contract.source_files()
    assert {p.parent.name for p in files} == {f.family for f in FORMATS}
    for path in files:
        assert contract.render_sources(path) == path.read_text(), f"{path}: run python -m pipelines.sources.contract"


def test_changing_a_bound_in_one_format_changes_the_reader_the_raw_gate_and_the_dbt_sources(monkeypatch):
    stricter = dataclasses.replace(SICKNESS_ORG, columns=tuple(
        dataclasses.replace(c, max=500.0) if c.name == "fte_days_lost" else c for c in SICKNESS_ORG.columns))
    frame = pl.DataFrame({ROW: [2], **{c.source: [v] for c, v in zip(SICKNESS_ORG.columns, (
        "30/04/2024", "Y56", "London", "QKK", "SEL", "RJ1", "Guy's", "Acute", "1000", "20000", "5.00"), strict=False)}})

    def bounds(formats):
        monkeypatch.setattr(contract, "FORMATS", formats)
        rule = {r.statistic: r.bound for r in contract.raw_table("sickness_org").rules}.get("fte_days_lost__max")
        meta = {c["name"]: c["meta"] for c in contract.source_columns("sickness_org")}["fte_days_lost"]
        return rule, meta.get("max")

    assert typed(frame, SICKNESS_ORG, "f.csv").height == 1
    assert bounds(FORMATS) == (None, None)
    with pytest.raises(RejectedFile, match="above the allowed maximum 500"):
        typed(frame, stricter, "f.csv")
    assert bounds(tuple(stricter if f is SICKNESS_ORG else f for f in FORMATS)) == ({"max_value": 500.0}, 500.0)


def test_row_rules_are_one_sql_text_run_by_the_reader_and_the_raw_gate():
    rules = {r.rule: r for r in contract.raw_table("sickness_org").rules}
    assert "FTE days lost exceed FTE days available" in rules
    assert "(fte_days_lost > fte_days_available)" in rules["FTE days lost exceed FTE days available"].violation
    # a rule on a column not stored (the date of birth becomes an age band) is the reader's alone
    assert not [r for r in contract.raw_table("staff_in_post").rules if "date_of_birth" in r.columns]


def test_the_raw_gate_catches_nan_and_infinity_that_got_past_the_reader(tmp_path):
    with duckdb.connect() as con:
        ensure_raw_tables(con, (SICKNESS_ORG,))
        con.execute("""insert into raw.sickness_org values
            (date '2024-04-30', 'Y56', 'London', 'QMJ', 'NCL', 'RAL', 'Royal Free', 'Acute', 'nan'::double, 200, 5,
             'load', 'a.csv', 'sha', now(), 2),
            (date '2024-04-30', 'Y56', 'London', 'QMJ', 'NCL', 'RAP', 'North Mid', 'Acute', 1, 'inf'::double, 0,
             'load', 'a.csv', 'sha', now(), 3)""")
        verdict = validate_raw(con, Gate("raw", tmp_path / "docs", "test"), contract.raw_table("sickness_org"))
    failed = {f.column: f for f in verdict.failures if "finite" in f.rule}
    assert set(failed) == {"fte_days_lost", "fte_days_available"}
    assert failed["fte_days_lost"].examples == ("a.csv row 2: fte_days_lost=nan",)
    assert failed["fte_days_available"].examples == ("a.csv row 3: fte_days_available=inf",)
