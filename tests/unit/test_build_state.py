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
