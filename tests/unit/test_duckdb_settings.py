"""DuckDB's memory limit and threads are configurable, with defaults derived from the machine."""
from __future__ import annotations

from pipelines.defs.resources import HomeResource
from pipelines.settings import DBT_DIR, DEFAULT_MEMORY_LIMIT, MEMORY_LIMIT_ENV, Home, duckdb_config


def test_the_build_connection_takes_the_configured_memory_limit_and_threads(tmp_path, monkeypatch):
    monkeypatch.setenv("WELLBEING_DUCKDB_MEMORY_LIMIT", "1GB")
    monkeypatch.setenv("WELLBEING_DUCKDB_THREADS", "1")
    home = Home(tmp_path / "home").ensure()
    with HomeResource(root=str(home.root)).build_database() as con:
        limit, threads = con.execute("select current_setting('memory_limit'), current_setting('threads')").fetchone()
    assert (limit, threads) == ("953.6 MiB", 1)


def test_without_settings_duckdb_takes_a_quarter_of_the_memory_and_every_core(monkeypatch):
    monkeypatch.delenv("WELLBEING_DUCKDB_MEMORY_LIMIT", raising=False)
    monkeypatch.delenv("WELLBEING_DUCKDB_THREADS", raising=False)
    config = duckdb_config()
    assert config["memory_limit"] == "25%"
    assert config["threads"] >= 1


def test_dbt_falls_back_to_the_same_default_memory_limit():
    """dbt's profile cannot import settings.py: its fallback must say the same."""
    profile = (DBT_DIR / "profiles.yml").read_text()
    assert f"env_var('{MEMORY_LIMIT_ENV}', '{DEFAULT_MEMORY_LIMIT}')" in profile
