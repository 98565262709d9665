# Two commands for a newcomer: `make run` and `make test`. Every target is idempotent.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup browser postgres proxy run test lint bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[server,test]'
	touch $(STAMP)

# Debian's Chromium for the browser tests (Playwright drives it; no browser download works here).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# Debian's PostgreSQL for the store tests on the second back end: the tests start their own
# throw-away server on loopback (tests/postgres.py); nothing is started here.
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; }

# configurable-http-proxy (npm) for the JupyterHub test (tests/browser/test_hub.py), in .ci/node (not in git).
PROXY := .ci/node/node_modules/.bin/configurable-http-proxy
proxy:
	@test -x $(PROXY) || { command -v npm >/dev/null 2>&1 || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; }; \
	  npm install --silent --no-audit --no-fund --prefix .ci/node configurable-http-proxy@5 >/dev/null; }

run: setup
	$(BIN)/attune serve --with-dashboard

# Lint and architecture first (seconds), then unit tests and every notebook once under nbval on
# both cores (a notebook's cells stay together with --dist loadfile), then the browser tests
# alone: they start real servers and Chromium, and time on a busy machine is what makes them flaky.
test: setup browser postgres proxy
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -p no:cacheprovider -n 2 --dist loadfile --nbval-lax --ignore=tests/browser tests notebooks
	$(BIN)/python -m pytest -p no:cacheprovider tests/browser

lint: setup
	$(BIN)/ruff check .
	$(BIN)/lint-imports

bench: setup postgres
	$(BIN)/python bench/score_bench.py
	$(BIN)/python bench/server_bench.py
	$(BIN)/python bench/store_bench.py

clean:
	rm -rf $(VENV) build *.egg-info
