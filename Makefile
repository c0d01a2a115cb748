# newsdesk — every target builds the local virtualenv (.venv) on first use.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PORT   ?= 8080
BLOG_PORT ?= 8081

.PHONY: run test lint bench format clean docs

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

$(VENV)/.bench: $(STAMP)
	$(PY) -m pip install -q -e '.[dev,bench]'
	touch $(VENV)/.bench

## run: serve the demo newsroom on loopback, ingest it, republish the stories two outlets
## carry on a receiving blog (a rule's signed webhook), then open the reader over it
run: $(STAMP)
	$(VENV)/bin/newsdesk demo --db demo.db
	$(VENV)/bin/newsdesk demo-blog --db demo.db --port $(BLOG_PORT) & BLOG=$$!; \
	trap 'kill $$BLOG 2>/dev/null' EXIT INT TERM; \
	$(VENV)/bin/newsdesk serve --db demo.db --port $(PORT)

## test: the whole test suite (warnings are errors)
test: $(STAMP)
	$(PY) -m pytest -n 4 --dist loadfile

## lint: ruff (lint + format check), mypy strict, import layers
lint: $(STAMP)
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

format: $(STAMP)
	$(VENV)/bin/ruff check --fix src tests bench
	$(VENV)/bin/ruff format src tests bench

## bench: side-by-side extraction benchmark against trafilatura and readability-lxml
bench: $(VENV)/.bench
	$(PY) bench/extraction.py

## docs: regenerate docs/cli.md from --help
docs: $(STAMP)
	$(PY) -m newsdesk.cli.docs cli > docs/cli.md
	$(PY) -m newsdesk.cli.docs settings > docs/settings.md

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
