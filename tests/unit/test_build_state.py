import duckdb

from pipelines import build_state
from pipelines.build_state import PROJECT, unchanged_nodes


def node(kind: str, folder: str, name: str) -> dict:
    return {"resource_type": kind, "fqn": ["wellbeing", folder, name], "name": name}


MANIFEST = {
    "sources": {"source.a": {"schema": "raw", "identifier": "a"}, "source.b": {"schema": "raw", "identifier": "b"}},
    "nodes": {"model.stg_a": node("model", "staging", "stg_a"), "model.stg_b": node("model", "staging", "stg_b"),
              "model.int_ab": node("model", "intermediate", "int_ab"), "test.on_b": node("test", "staging", "on_b"),
              "model.mart": node("model", "marts", "mart"), "test.on_mart": node("test", "marts", "on_mart"),
              "seed.codes": node("seed", "seeds", "codes")},
    "parent_map": {"model.stg_a": ["source.a"], "model.stg_b": ["source.b"], "model.int_ab": ["model.stg_a", "model.stg_b"],
                   "test.on_b": ["model.stg_b"], "model.mart": ["model.int_ab", "seed.codes"],
                   "test.on_mart": ["model.mart"], "seed.codes": []},
}
BEFORE = {PROJECT: "p1", "raw.a": "10:1", "raw.b": "5:2"}


def test_a_node_is_kept_when_no_source_upstream_of_it_changed_and_the_marts_are_always_built(monkeypatch):
    monkeypatch.delenv(build_state.FULL_BUILD_ENV, raising=False)
    assert unchanged_nodes(MANIFEST, BEFORE, {**BEFORE, "raw.a": "11:7"}) == ["codes", "on_b", "stg_b"]
    assert unchanged_nodes(MANIFEST, BEFORE, BEFORE) == ["codes", "int_ab", "on_b", "stg_a", "stg_b"]


def test_any_doubt_builds_everything(monkeypatch):
    monkeypatch.delenv(build_state.FULL_BUILD_ENV, raising=False)
    assert unchanged_nodes(MANIFEST, {}, BEFORE) == []  # no successful build recorded
    assert unchanged_nodes(MANIFEST, BEFORE, {**BEFORE, PROJECT: "p2"}) == []  # another project or version
    monkeypatch.setenv(build_state.FULL_BUILD_ENV, "1")
    assert unchanged_nodes(MANIFEST, BEFORE, BEFORE) == []


def test_the_project_fingerprint_follows_the_project_files(tmp_path):
    (tmp_path / "models").mkdir()
    model = tmp_path / "models" / "a.sql"
    model.write_text("select 1")
    first = build_state.project_fingerprint(tmp_path)
    (tmp_path / "target").mkdir()
    (tmp_path / "target" / "run.sql").write_text("artifacts do not count")
    assert build_state.project_fingerprint(tmp_path) == first
    model.write_text("select 2")
    assert build_state.project_fingerprint(tmp_path) != first


def incremental(name: str) -> dict:
    return {**node("model", "intermediate", name), "config": {"materialized": "incremental"}}


MONTHLY = {
    "sources": {"source.a": {"schema": "raw", "identifier": "a", "meta": {build_state.MONTHS_FROM: "day"}},
                "source.b": {"schema": "raw", "identifier": "b"}},
    "nodes": {"model.inc_a": incremental("inc_a"), "model.inc_ab": incremental("inc_ab"),
              "model.table_b": {**node("model", "intermediate", "table_b"), "config": {"materialized": "table"}}},
    "parent_map": {"model.inc_a": ["source.a"], "model.table_b": ["source.b"], "model.inc_ab": ["model.inc_a", "source.b"]},
}


def test_an_incremental_model_rebuilds_from_the_earliest_month_whose_rows_changed_upstream_of_it():
    before = {PROJECT: "p", "raw.a": "3:9", "raw.a@2024-01-01": "1:2", "raw.a@2024-02-01": "2:7", "raw.b": "1:1"}
    new_month = {**before, "raw.a": "4:10", "raw.a@2024-03-01": "1:1"}
    assert build_state.rebuild_from(MONTHLY, before, new_month) == {"inc_a": "2024-03-01", "inc_ab": "2024-03-01"}
    # a month whose rows went (a retraction) counts as much as one whose rows came or changed
    gone = {key: value for key, value in before.items() if key != "raw.a@2024-02-01"} | {"raw.a": "1:2"}
    assert build_state.rebuild_from(MONTHLY, before, gone) == {"inc_a": "2024-02-01", "inc_ab": "2024-02-01"}
    # a source keeping no months rebuilds every month of what reads it; what does not read it is not rebuilt
    assert build_state.rebuild_from(MONTHLY, before, {**before, "raw.b": "2:5"}) == {"inc_ab": None}
    assert build_state.rebuild_from(MONTHLY, before, before) == {}


def test_fingerprints_are_kept_per_month_for_a_source_that_says_which_column_places_its_rows(tmp_path):
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        con.execute("create schema raw")
        con.execute("create table raw.a as select * from (values (date '2024-01-05', 1), (date '2024-01-20', 2), "
                    "(date '2024-02-01', 3)) t(day, n)")
        first = build_state.fingerprints(con, {"raw.a": "day"})
        assert {k for k in first if k.startswith("raw.a@")} == {"raw.a@2024-01-01", "raw.a@2024-02-01"}
        assert first["raw.a"] == build_state.fingerprints(con, {"raw.a": None})["raw.a"]  # the whole table, alike
        con.execute("update raw.a set n = 4 where day = date '2024-02-01'")
        second = build_state.fingerprints(con, {"raw.a": "day"})
    assert second["raw.a@2024-01-01"] == first["raw.a@2024-01-01"]
    assert second["raw.a@2024-02-01"] != first["raw.a@2024-02-01"] and second["raw.a"] != first["raw.a"]
