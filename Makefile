# Two commands do everything: `make demo` and `make test` (each sets up .venv on first use).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test setup clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -c requirements.txt -e ".[test]"
	cd dbt && WELLBEING_BUILD_DB=$(CURDIR)/$(VENV)/parse.duckdb ../$(BIN)/dbt parse --quiet --log-level-file none --profiles-dir .
	touch $@

demo: setup
	$(BIN)/wellbeing demo

test: setup
	$(BIN)/python -m pytest

clean:
	rm -rf .wellbeing dbt/target dbt/logs
