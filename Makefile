# selfrep — every command installs what it needs into .venv first (fresh machine: `make test`).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
SCALE  ?= paper
JOBS   ?= 1
STAMP  := $(VENV)/.installed

.PHONY: install test test-fast book bench archsearch-bench lint clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -U pip
	$(BIN)/python -m pip install -q -e ".[dev]"
	touch $(STAMP)

# The Jupyter kernel "Python (selfrep)" (this venv's interpreter) that the chapter notebooks declare:
# any JupyterLab on the machine can then rerun a chapter. `selfrep run` does not need it.
install: $(STAMP)
	$(BIN)/python -m ipykernel install --user --name selfrep --display-name "Python (selfrep)" >/dev/null

test: install           ## unit tests + every chapter executed at ci scale
	$(BIN)/python -m pytest -q

test-fast: install      ## unit tests only
	$(BIN)/python -m pytest -q -m "not book and not slow"

book: install           ## execute every chapter at SCALE (ci|paper), JOBS at a time, and build _build/html
	$(BIN)/selfrep build --scale $(SCALE) --jobs $(JOBS)

bench: install
	$(BIN)/selfrep bench

archsearch-bench: install  ## rebuild the shipped DigitsMLP-Bench table (~1,600 CPU-s; resumable)
	nice -n 10 $(BIN)/selfrep archsearch build-bench --workers 2 --force

lint: install
	$(BIN)/ruff check selfrep tests
	$(BIN)/ruff format --check selfrep tests

clean:
	rm -rf _build
