# Two commands do everything: `make demo` and `make test` (each sets up .venv on first use).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint setup clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -c requirements.txt -e ".[test]"
	cd dbt && ../$(BIN)/dbt parse --quiet --log-level-file none --log-path target --profiles-dir .
	touch $@

demo: setup
	$(BIN)/wellbeing demo

# three workers on two cores: a worker waiting (for a home another builds, a sensor tick, a browser) leaves its
# core to the others; the longest test files go first (tests/conftest.py)
test: setup
	$(BIN)/python -m pytest -n 3 --dist loadfile --no-loadscope-reorder

# Python style (ruff) and dbt SQL style (sqlfluff with the dbt templater); .ci/run runs it before the tests.
lint: setup
	$(BIN)/ruff check .
	mkdir -p $(VENV)/lint-home/warehouse
	cd dbt && WELLBEING_HOME=$(CURDIR)/$(VENV)/lint-home DBT_LOG_PATH=$(CURDIR)/$(VENV)/lint-home ../$(BIN)/sqlfluff lint models --processes 2

clean:
	rm -rf .wellbeing dbt/target dbt/logs
