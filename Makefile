# selfrep — every command installs what it needs into .venv first (fresh machine: `make test`).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
SCALE  ?= paper
STAMP  := $(VENV)/.installed

.PHONY: install test test-fast book bench archsearch-bench lint clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -U pip
	$(BIN)/python -m pip install -q -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

test: install           ## unit tests + every chapter executed at ci scale
	$(BIN)/python -m pytest -q

test-fast: install      ## unit tests only
	$(BIN)/python -m pytest -q -m "not book and not slow"

book: install           ## execute every chapter at SCALE (ci|paper) and build _build/html
	$(BIN)/selfrep build --scale $(SCALE)

bench: install
	$(BIN)/selfrep bench

archsearch-bench: install  ## rebuild the shipped DigitsMLP-Bench table (~1,600 CPU-s; resumable)
	nice -n 10 $(BIN)/selfrep archsearch build-bench --workers 2 --force

lint: install
	$(BIN)/ruff check selfrep tests
	$(BIN)/ruff format --check selfrep tests

clean:
	rm -rf _build
