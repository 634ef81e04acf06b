# Two commands do all set-up: `make lab` to open the course, `make test` to test it.
# Both create the local virtual environment .venv/ when it is missing and update it when
# pyproject.toml changes.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9][0-9]_*.ipynb))
# Put the environment first on PATH so that Jupyter finds its own `python3` kernel.
export PATH := $(CURDIR)/$(BIN):$(PATH)
export JUPYTER_PLATFORM_DIRS := 1

.PHONY: help venv lab run test test-seeds test-robust lint format clean site browser-deps bench

help:
	@echo "make lab     set up (if needed) and open the course in JupyterLab"
	@echo "make run     execute every notebook in place in a fresh kernel (regenerates outputs)"
	@echo "make test    set up (if needed) and run the whole test suite"
	@echo "make test-seeds   run every notebook's asserts with other seeds (SEEDS=\"1 2 3\")"
	@echo "make test-robust  test-seeds, plus: each notebook run twice in one kernel, and"
	@echo "                  identical outputs from two runs of a training notebook"
	@echo "make lint    check code and notebooks with ruff;  make format  to fix formatting"
	@echo "make site    build the browsable offline site of the notebooks into build/site/"
	@echo "make browser-deps  install Debian's Chromium (apt-get) for the browser tests"
	@echo "make bench   benchmarks as markdown tables (NumPyro rows need: pip install -e '.[bench]')"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	@touch $(STAMP)

venv: $(STAMP)

lab: venv
	$(BIN)/jupyter lab notebooks/

run: venv
	$(BIN)/python tools/run_notebooks.py $(NOTEBOOKS)
	$(BIN)/python tools/make_student_copies.py

test: venv
	$(BIN)/python -m pytest tests $(NOTEBOOKS) --nbval-lax --nbval-current-env --durations=0

# Time to accuracy, steps per second, cost as data grow (benchmarks/bench.py; a few minutes).
# NumPyro's rows need the optional extra: $(BIN)/python -m pip install -e '.[bench]'.
bench: venv
	$(BIN)/python benchmarks/bench.py

SEEDS ?= 1 2 3

test-seeds: venv
	@for seed in $(SEEDS); do \
		echo "== VI_TUTORIAL_SEED=$$seed"; \
		VI_TUTORIAL_SEED=$$seed $(BIN)/python -m pytest -q $(NOTEBOOKS) \
			--nbval-lax --nbval-current-env -p no:cacheprovider || exit 1; \
	done

test-robust: test-seeds
	$(BIN)/python -m pytest -m robust tests --durations=0

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The notebooks as a static site, from their stored outputs (nothing is executed); works offline.
site: venv
	$(BIN)/python tools/build_site.py --out build/site

# Debian's Chromium, which tests/test_site.py and tests/test_lab_ui.py drive with Playwright (they
# skip, saying so, without it). CHROMIUM=/path/to/chromium points the tests at another build.
CHROMIUM ?= /usr/bin/chromium

browser-deps:
	@if test -x "$(CHROMIUM)"; then \
		echo "Chromium is installed: $(CHROMIUM)"; \
	elif ! command -v apt-get >/dev/null 2>&1; then \
		echo "make browser-deps: no apt-get on this machine; install Chromium yourself and" \
			"run the tests with CHROMIUM=/path/to/chromium" >&2; \
		exit 1; \
	else \
		sudo=""; if [ "$$(id -u)" -ne 0 ]; then sudo="sudo"; fi; \
		echo "installing Debian's chromium with apt-get ..."; \
		if $$sudo apt-get update -q && \
			DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -q chromium; then \
			echo "Chromium is installed: $$(command -v chromium)"; \
		else \
			echo "make browser-deps: could not install chromium with apt-get (see above);" \
				"the browser tests will be skipped" >&2; \
			exit 1; \
		fi; \
	fi

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
