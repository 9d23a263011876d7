"""The whole pipeline, for real (Dagster in-process, dbt build, GX, publish), on the tiny extracts."""
from __future__ import annotations

import duckdb
import polars as pl

from expectations.contract import load_manifest
from pipelines.project import dbt_project


def models() -> dict[str, dict]:
    """The dbt project's models by name, as its manifest declares them."""
    nodes = load_manifest(dbt_project.manifest_path)["nodes"].values()
    return {n["name"]: n for n in nodes if n["resource_type"] == "model"}


def test_publishes_every_ics_with_rates_recomputed_from_the_files(published_tiny, tiny_extracts):
    files = pl.concat([pl.read_csv(f, infer_schema_length=0) for f in sorted(tiny_extracts.glob("sickness_org_*.csv"))])
    expected = (files.filter(pl.col("ICS_CODE") != "QZZ")
                .with_columns(pl.col("FTE_DAYS_LOST", "FTE_DAYS_AVAILABLE").cast(pl.Float64),
                              pl.col("DATE").str.to_date("%d/%m/%Y").dt.truncate("1mo").alias("period_month"))
                .group_by("ICS_CODE", "period_month")
                .agg((pl.col("FTE_DAYS_LOST").sum() / pl.col("FTE_DAYS_AVAILABLE").sum() * 100).alias("expected")))
    with duckdb.connect(str(published_tiny.serving_db), read_only=True) as con:
        mart = con.sql("select icb_code, period_month, sickness_rate from marts.ics_sickness_monthly "
                       "where boundary_basis = 'as_at'").pl()
    joined = expected.join(mart, left_on=["ICS_CODE", "period_month"], right_on=["icb_code", "period_month"], how="full")
    assert joined.height == expected.height == mart.height
    assert (joined["expected"] - joined["sickness_rate"]).abs().max() < 1e-9
    assert set(mart["icb_code"]) == set(expected["ICS_CODE"])


def test_each_snapshot_carries_the_definition_of_every_published_column(published_tiny):
    """The data dictionary travels with the snapshot: one row per published table and per column, in column
    order, each with the description (doc blocks rendered, as in dbt's docs) and the type its YAML declares."""
    declared = models()
    with duckdb.connect(str(published_tiny.serving_db), read_only=True) as con:
        published = con.execute("""select table_name, column_name from information_schema.columns
                                   where table_schema = 'marts' order by table_name, ordinal_position""").fetchall()
        definitions = con.execute("""select table_name, column_name, data_type, description
                                     from meta.column_definitions order by table_name, position""").fetchall()
    tables = sorted({t for t, _ in published})
    assert [(t, c) for t, c, _, _ in definitions] == [
        pair for t in tables for pair in [(t, "(table)"), *((t2, c) for t2, c in published if t2 == t)]]
    for table, column, data_type, description in definitions:
        model = declared[table]
        spec = model["columns"].get(column, {})
        text = model["description"] if column == "(table)" else spec["description"]
        assert description == " ".join(text.split()), (table, column)
        assert data_type == ("" if column == "(table)" else spec["data_type"])


def test_the_marts_not_null_columns_are_enforced_by_their_contracts(published_tiny):
    """A mart column its YAML declares not null is a NOT NULL column of the built table, and no other column is:
    DuckDB refuses a row breaking it as dbt builds the table (what the run then says: test_dbt_resource.py)."""
    declared = {(n["name"], c) for n in models().values() if n["fqn"][1] == "marts"
                for c, spec in n["columns"].items()
                if any(k["type"] == "not_null" for k in spec.get("constraints", []))}
    with duckdb.connect(str(published_tiny.build_db), read_only=True) as con:
        enforced = set(con.execute("select table_name, column_name from duckdb_columns() "
                                   "where schema_name = 'marts' and not is_nullable").fetchall())
    assert len(declared) > 50  # every mart's key columns
    assert enforced == declared
