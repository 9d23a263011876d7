"""Run suites with Great Expectations on pandas frames read from DuckDB, and write the data docs.

GX's SQL datasource does not work on DuckDB, so every suite validates a DataFrame: the table itself where
it is small (marts), or an aggregate DuckDB computed over it (raw tables can hold tens of millions of rows).
Each expectation carries `meta` naming the table column it guards and the rule in words, so a failure
reads "column X: rule; N failing, e.g. ...", not a GX type name alone.
"""
from __future__ import annotations

import importlib
import os
import shutil
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")  # offline: no usage statistics, whichever thread imports GX
EXAMPLES = 3  # failing values quoted per failed expectation
SHOWN_FAILURES = 5  # failed expectations spelled out in a summary


@dataclass(frozen=True)
class Frame:
    """One DataFrame and the expectations it must meet; `index` columns identify a failing row."""

    name: str
    data: object  # pandas.DataFrame
    expectations: list
    index: tuple[str, ...] = ()


@dataclass(frozen=True)
class Failure:
    column: str
    rule: str
    failing: str  # how many, or what was observed
    examples: tuple[str, ...] = ()
    statistic: str | None = None  # the aggregate's column, for suites run on an aggregate

    def describe(self) -> str:
        text = f"{self.column}: {self.rule}; {self.failing}"
        return text + (f"; e.g. {'; '.join(self.examples)}" if self.examples else "")


@dataclass(frozen=True)
class Verdict:
    check: str
    table: str
    evaluated: int
    failures: tuple[Failure, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def success(self) -> bool:
        return not self.failures

    def summary(self) -> str:
        if self.success:
            met = [f"all {self.evaluated} expectations met"] if self.evaluated else []
            return f"{self.table}: " + "; ".join([*met, *self.notes])
        shown = " | ".join(f.describe() for f in self.failures[:SHOWN_FAILURES])
        more = len(self.failures) - SHOWN_FAILURES
        return (f"{self.table}: {len(self.failures)} of {self.evaluated} expectations failed: {shown}"
                + (f" | and {more} more (see the data docs)" if more > 0 else ""))

    def with_examples(self, examples: dict[str, tuple[str, ...]]) -> Verdict:
        """Attach failing rows found outside GX (for suites run on an aggregate), keyed by statistic."""
        return replace(self, failures=tuple(replace(f, examples=examples.get(f.statistic, f.examples))
                                            for f in self.failures))


def import_in_background() -> None:
    """Start importing Great Expectations (seconds) in another thread, for a gate with DuckDB work to do first
    (DuckDB releases the interpreter lock while it runs); the first use waits for the import to finish. pandas,
    which both import, is imported here first: two threads importing it at once have broken its import elsewhere."""
    import pandas  # noqa: F401

    threading.Thread(target=importlib.import_module, args=("great_expectations.expectations",),
                     name="import great_expectations", daemon=True).start()


@dataclass
class Gate:
    """One GX context for one gate step; its data docs site is rebuilt under `docs_dir` at the end."""

    name: str
    docs_dir: Path
    run_name: str
    _context: object = field(default=None, init=False)
    _validations: int = field(default=0, init=False)
    _batch: object = field(default=None, init=False)

    def context(self):
        if self._context is None:
            import great_expectations as gx  # slow import (~3 s): only when a gate runs

            context = gx.get_context(mode="ephemeral")
            context.variables.progress_bars = {"globally": False}
            context.add_data_docs_site(site_name=self.name, site_config={
                "class_name": "SiteBuilder", "show_how_to_buttons": False,
                "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(self.docs_dir)},
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            })
            self._context = context
        return self._context

    def validate(self, check: str, table: str, frames: list[Frame], notes: tuple[str, ...] = ()) -> Verdict:
        import great_expectations as gx
        from great_expectations.core.run_identifier import RunIdentifier

        context = self.context()
        evaluated, failures = 0, []
        for frame in frames:
            if not frame.expectations:
                continue
            self._validations += 1  # names are unique within a context
            name = f"{check}.{frame.name}.{self._validations}"
            # given whole: adding expectations one by one re-saves the suite each time
            suite = context.suites.add(gx.ExpectationSuite(name=name, expectations=frame.expectations))
            definition = context.validation_definitions.add(gx.ValidationDefinition(name=name, data=self._frames(),
                                                                                    suite=suite))
            run_id = RunIdentifier(run_name=self.run_name)
            # whether each expectation holds first (a third less of GX's time than gathering failing rows for every
            # one); a frame that fails is validated again in full, its result stored over the first, so that the
            # verdict and the data docs quote the failing rows and values
            result = definition.run(batch_parameters={"dataframe": frame.data}, run_id=run_id,
                                    result_format={"result_format": "BOOLEAN_ONLY"})
            if not result.success:
                result = definition.run(
                    batch_parameters={"dataframe": frame.data}, run_id=run_id,
                    result_format={"result_format": "SUMMARY", "partial_unexpected_count": EXAMPLES,
                                   "unexpected_index_column_names": list(frame.index)})
            evaluated += len(result.results)
            failures += [_failure(r, frame.index) for r in result.results if not r.success]
        return Verdict(check, table, evaluated, tuple(failures), notes)

    def _frames(self):
        """The one batch definition every frame is passed to (each data source added re-saves the context's
        configuration: one per frame cost the mart gate seconds)."""
        if self._batch is None:
            self._batch = (self.context().data_sources.add_pandas(name=self.name).add_dataframe_asset(name="frames")
                           .add_batch_definition_whole_dataframe("whole"))
        return self._batch

    def build_docs(self) -> Path:
        """Rebuild this gate's site from this run's validations only (earlier runs' pages are dropped)."""
        shutil.rmtree(self.docs_dir, ignore_errors=True)
        self.context().build_data_docs(site_names=[self.name])
        return self.docs_dir / "index.html"


def _failure(r, index: tuple[str, ...]) -> Failure:
    config, result = r.expectation_config, r.result
    meta = config.meta or {}
    column = meta.get("column") or config.kwargs.get("column") or ", ".join(
        config.kwargs.get("column_list") or [c for c in (config.kwargs.get("column_A"), config.kwargs.get("column_B")) if c]
    ) or "(table)"
    rule = meta.get("rule") or config.type.replace("_", " ")
    exception = r.exception_info or {}
    if exception and "raised_exception" not in exception:  # keyed by metric when a metric failed
        exception = next(iter(exception.values()))
    if exception.get("raised_exception"):
        failing, examples = f"could not be evaluated ({str(exception.get('exception_message')).splitlines()[0]})", ()
    elif meta.get("aggregate"):  # a one-row profile: the statistic is the finding
        failing, examples = f"{config.kwargs['column']} = {_plain((result.get('partial_unexpected_list') or [None])[0])}", ()
    elif "unexpected_count" in result:
        failing = f"{result['unexpected_count']} of {result.get('element_count', '?')} rows failing"
        rows = result.get("partial_unexpected_index_list") or []
        if not all(isinstance(row, dict) for row in rows):  # no index columns: GX gives row numbers
            rows = [{"value": v} for v in result.get("partial_unexpected_list", [])]
        # a True/False helper column (is the code known? is the ICS published?) says nothing the rule does not
        judged = config.kwargs.get("column")
        helper = judged if meta.get("column", judged) != judged else None
        # the row's key first, then the values judged
        examples = tuple(", ".join(f"{k}={_plain(row[k])}" for k in sorted(row, key=lambda k: k not in index)
                                   if not (k == helper and _is_bool(row[k])))
                         for row in rows[:EXAMPLES])
    else:
        failing, examples = f"observed {_plain(result.get('observed_value'))}", ()
    return Failure(column, rule, failing, examples, statistic=config.kwargs.get("column") if meta.get("aggregate") else None)


def _is_bool(value) -> bool:
    return isinstance(value.item() if hasattr(value, "item") else value, bool)


def _plain(value) -> str:
    """numpy scalars and timestamps as a reader would write them."""
    if not hasattr(value, "isoformat") and hasattr(value, "item"):
        value = value.item()
    if hasattr(value, "isoformat"):
        text = value.isoformat()
        return text[:10] if text.endswith("T00:00:00") else text
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)
