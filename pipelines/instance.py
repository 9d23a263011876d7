"""The home's Dagster instance: its settings (dagster.yaml) and the event log they name."""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml
from dagster._core.storage.event_log.sqlite.sqlite_event_log import INDEX_SHARD_NAME, SqliteEventLogStorage
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine

from .settings import Home

OPEN_SHARDS = 8  # the index and the latest runs' files: a web server paging through old runs opens a few more


def instance_settings(home: Home) -> str:
    """dagster.yaml for the home. It names the event log's folder (where Dagster keeps it by default) by its
    full path, so a moved or copied home needs its settings written again (`write_instance_settings`)."""
    return yaml.safe_dump({
        "telemetry": {"enabled": False},
        "event_log_storage": {"module": __name__, "class": SqliteEventLog.__name__,
                              "config": {"base_dir": str(home.dagster_home / "history" / "runs")}},
    }, sort_keys=False)


def write_instance_settings(home: Home) -> Path:
    """Write dagster.yaml when it is missing or names another folder."""
    path = home.dagster_settings
    settings = instance_settings(home)
    if not path.exists() or path.read_text() != settings:
        path.write_text(settings)
    return path


def _sync_at_checkpoints(dbapi_connection, _record) -> None:
    """The event log is in WAL mode: synced at each checkpoint rather than at each of a run's thousands of commits
    (SQLite's advice for WAL). A killed process loses nothing; a power cut, at most the events after the last
    checkpoint."""
    dbapi_connection.execute("pragma synchronous = normal")


class SqliteEventLog(SqliteEventLogStorage):
    """Dagster's SQLite event log (one file per run and an index file), keeping an engine per file open.

    Dagster's own opens a new engine for every write, and a run writes two or three for each of its events
    (one per dbt test, each an asset check): that cost a tiny run more CPU than its dbt models. Files and
    tables are still created by Dagster's code, on the first connection to each file."""

    def __init__(self, base_dir: str, inst_data=None) -> None:
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._engines_lock = threading.RLock()
        super().__init__(base_dir, inst_data)  # uses the index file already

    @classmethod
    def from_config_value(cls, inst_data, config_value) -> SqliteEventLog:
        return cls(inst_data=inst_data, **config_value)

    def run_connection(self, run_id: str | None = None):
        return self._connection(run_id)

    def index_connection(self):
        return self._connection(INDEX_SHARD_NAME)

    @contextmanager
    def _connection(self, shard: str) -> Iterator[Connection]:
        with self._engines_lock:
            engine = self._engines.get(shard)
            if engine is None:
                with super().run_connection(shard):  # creates the file and its tables the first time
                    pass
                engine = create_engine(self.conn_string_for_shard(shard),
                                       connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS})
                event.listen(engine, "connect", _sync_at_checkpoints)
                self._engines[shard] = engine
                while len(self._engines) > OPEN_SHARDS:
                    self._engines.popitem(last=False)[1].dispose()
            self._engines.move_to_end(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def _dispose_engines(self) -> None:
        with self._engines_lock:
            for engine in self._engines.values():
                engine.dispose()
            self._engines.clear()

    def wipe(self) -> None:
        self._dispose_engines()
        super().wipe()

    def dispose(self) -> None:
        self._dispose_engines()
        super().dispose()
