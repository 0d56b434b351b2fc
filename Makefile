# 资助通 — the two commands a fresh machine needs are `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
DEMO_ORG ?= 2145000001

.PHONY: install run test lint bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev,server]"
	touch $(STAMP)

install: $(STAMP)

# Opens the desktop client on the demo school's store (seeded with demo data on first start).
run: install
	$(VENV)/bin/zizhu-gui --org-code $(DEMO_ORG) --seed-demo

lint: install
	$(VENV)/bin/ruff check app tests bench
	$(VENV)/bin/ruff format --check app tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

test: lint
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest

bench: install
	$(PY) -m pip install --quiet -e ".[bench]"
	$(PY) bench/bench_store.py
	$(PY) bench/bench_import.py
	$(PY) bench/bench_validate.py

clean:
	rm -rf $(VENV) build dist *.egg-info .mypy_cache .ruff_cache .pytest_cache
