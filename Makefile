# 资助通 — the two commands a fresh machine needs are `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: install run test lint bench package clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e ".[dev,server]"
	touch $(STAMP)

install: $(STAMP)

# Starts a local review server (SQLite under .run/, demo school 4500000001 / aabbcc, reviewer
# demo / demo12345) and the desktop client pointed at it; the server stops when the client closes.
run: install
	$(PY) scripts/dev_run.py

lint: install
	$(VENV)/bin/ruff check app server scripts installer tests bench
	$(VENV)/bin/ruff format --check app server scripts installer tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

# The suite drives real programs: Chromium (console), LibreOffice (exports), PostgreSQL (server tests).
# Missing Debian packages are installed and PostgreSQL started first, so their output shows in the log.
test: lint
	.ci/system-deps.sh
	url="$$(.ci/postgres.sh)" && ZIZHU_TEST_POSTGRES_URL="$$url" QT_QPA_PLATFORM=offscreen $(PY) -m pytest

bench: install
	$(PY) -m pip install --quiet -c constraints.txt -e ".[bench]"
	$(PY) bench/bench_store.py
	$(PY) bench/bench_import.py
	$(PY) bench/bench_validate.py

# One-folder bundle (dist/zizhu) + its --self-test + the NSIS script compiled with makensis -WX
# (Debian package nsis). Not part of `make test`. See README.md (发布).
package: install
	$(PY) -m pip install --quiet -c constraints.txt -e ".[package]"
	$(PY) installer/build.py

clean:
	rm -rf $(VENV) build dist *.egg-info .mypy_cache .ruff_cache .pytest_cache
