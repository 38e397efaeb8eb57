# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8501

.PHONY: run serve test lint bench check clean-venv

# Starts the app on the embedded SQLite database. The demo convention is loaded only into a
# database that holds no data yet: a user's data is never wiped or re-seeded.
run: $(VENV)/.app-installed
	$(BIN)/ctg db upgrade
	$(BIN)/ctg seed --if-empty
	$(BIN)/streamlit run server.py --server.headless true --server.port $(PORT)

# Production on one machine: PROCS app processes behind HAProxy (sticky sessions) on PORT, in the
# foreground; Ctrl-C stops them all. Several processes share their state through PostgreSQL:
# CTG_DATABASE_URL must name one (scripts/serve refuses SQLite with PROCS > 1).
PROCS ?= 2
# HAProxy is not installed from here: a server gets `apt-get install haproxy`, not the test tools
# of scripts/ensure-system-packages (scripts/serve says so in French when it is missing).
serve: $(VENV)/.app-installed
	$(BIN)/python scripts/serve --procs $(PROCS) --port $(PORT)

# Installs what the tests need (Python packages from the lock, PostgreSQL and Chromium from
# Debian when missing), then runs the whole suite, PostgreSQL and browser tests included.
test: lint
	scripts/ensure-system-packages
	$(BIN)/python -m pytest

# Style, types and the layer contract (import-linter; tests/test_layers.py checks the pages).
lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# What users feel (benchmarks/run.py): every page cold and warm on the demo and the national base
# (`ctg demo-data`), SQLite and PostgreSQL, sessions at once through the proxy, import, export;
# the table goes to benchmarks/results/latest.md and a missed budget of issue 15 fails the target.
# Then the query timings (pytest-benchmark). BENCH_ARGS="--conventions 100" for a quicker run.
bench: $(VENV)/.dev-installed
	scripts/ensure-system-packages
	$(BIN)/python -m benchmarks.run $(BENCH_ARGS); status=$$?; \
	$(BIN)/python -m pytest benchmarks -p no:cacheprovider --benchmark-columns=min,median,max,rounds --benchmark-sort=name \
	&& exit $$status

check: $(VENV)/.app-installed
	$(BIN)/ctg check

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.app-installed: requirements/app.lock pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements/app.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.dev-installed: requirements/dev.lock pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements/dev.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@ $(VENV)/.app-installed

clean-venv:
	rm -rf $(VENV)
