"""Run a suite on a pandas frame read from DuckDB (GX's SQL datasource does not work on DuckDB)."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Failure:
    expectation: str
    column: str | None
    observed: str


@dataclass(frozen=True)
class Verdict:
    table: str
    success: bool
    evaluated: int
    failures: list[Failure] = field(default_factory=list)

    def summary(self) -> str:
        if self.success:
            return f"{self.table}: all {self.evaluated} expectations met"
        return f"{self.table}: " + "; ".join(
            f"{f.expectation}" + (f" on column {f.column}" if f.column else "") + f" (e.g. {f.observed})"
            for f in self.failures)


def validate(table: str, df, expectations: list) -> Verdict:
    import great_expectations as gx  # slow import (~3 s): only when a check runs

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = {"globally": False}
    batch = (context.data_sources.add_pandas(name="warehouse")
             .add_dataframe_asset(name=table)
             .add_batch_definition_whole_dataframe("whole"))
    suite = context.suites.add(gx.ExpectationSuite(name=f"{table}_suite"))
    for expectation in expectations:
        suite.add_expectation(expectation)
    definition = context.validation_definitions.add(gx.ValidationDefinition(name=f"{table}_vd", data=batch, suite=suite))
    result = definition.run(batch_parameters={"dataframe": df}, result_format="SUMMARY")
    failures = [
        Failure(r.expectation_config.type, r.expectation_config.kwargs.get("column"),
                _observed(r.result))
        for r in result.results if not r.success
    ]
    return Verdict(table, bool(result.success), len(result.results), failures)


def _observed(result: dict) -> str:
    if result.get("partial_unexpected_list"):
        return ", ".join(map(str, result["partial_unexpected_list"][:5]))
    if "observed_value" in result:
        return f"observed {result['observed_value']}"
    return "see the data docs"
