# Two commands for a newcomer: `make run` and `make test`. Every target is idempotent.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup browser run test test-unit test-notebooks test-browser bench clean

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

run: setup
	$(BIN)/attune serve --with-dashboard

test: setup browser
	$(BIN)/python -m pytest tests notebooks --nbval-lax -p no:cacheprovider

bench: setup
	$(BIN)/python bench/score_bench.py
	$(BIN)/python bench/server_bench.py

clean:
	rm -rf $(VENV) build *.egg-info
