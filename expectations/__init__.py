"""Great Expectations suites as code, one module per table family, run as blocking Dagster checks.

raw.py       raw tables (schema, types, ranges), before dbt; profiled in DuckDB, validated by GX
marts.py     published tables (contract, completeness, references, distribution, disclosure), before publish
contract.py  what each mart promises, read from the dbt manifest
disclosure.py, thresholds.py (+ thresholds.yml), runner.py (GX and the data docs)
sickness.py, workforce.py, turnover.py, survey.py, social_care.py, reference.py, risk.py: the family rules
"""
