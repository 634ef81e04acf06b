# Two commands do all set-up: `make lab` to open the course, `make test` to test it.
# Both create the local virtual environment .venv/ when it is missing, rebuild it when it was made
# by a Python older than 3.11 (or its Python is gone), and update it when pyproject.toml or the
# lock changes. Everything is installed through requirements/lock.txt, the exact versions the
# stored outputs were produced with. The same set-up without make: README.md, "Without make".

# The lock was produced with Python 3.11; any Python >= 3.11 works. PYTHON=python3.13 to choose.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
LOCK := requirements/lock.txt
# `make lab` needs the course only; `make test` (and run, lint, site, bench) also the tooling.
RUNTIME_STAMP := $(VENV)/.installed-runtime
DEV_STAMP := $(VENV)/.installed-dev
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9][0-9]_*.ipynb))
STUDENT_COPIES := $(sort $(wildcard student/[0-9][0-9]_*.ipynb))
MIN_PYTHON_CHECK := import sys; sys.exit(sys.version_info < (3, 11))
# Put the environment first on PATH so that Jupyter finds its own `python3` kernel.
export PATH := $(CURDIR)/$(BIN):$(PATH)
export JUPYTER_PLATFORM_DIRS := 1

.PHONY: help venv venv-dev check-venv lab reset run test test-seeds test-robust test-install \
	test-lowest lint format clean site browser-deps bench lock

help:
	@echo "make lab     set up (if needed) and open the course in JupyterLab"
	@echo "make reset NB=02  a clean student copy of notebook 02 (your edits to it are lost)"
	@echo "make run     execute every notebook in place in a fresh kernel (regenerates outputs)"
	@echo "make test    set up (if needed) and run the whole test suite"
	@echo "make test-seeds   run every notebook's asserts with other seeds (SEEDS=\"1 2 3\")"
	@echo "make test-robust  test-seeds, plus: each notebook run twice in one kernel, identical"
	@echo "                  outputs from two runs, and Run All of every notebook in JupyterLab"
	@echo "make test-install the README's set-up without make, in a fresh venv (needs the network)"
	@echo "make test-lowest  every notebook with the lowest supported versions (needs the network)"
	@echo "make lint    check code and notebooks with ruff;  make format  to fix formatting"
	@echo "make site    build the offline Sphinx site of the notebooks into build/site/ (site/README.md)"
	@echo "make browser-deps  install Debian's Chromium (apt-get) for the browser tests"
	@echo "make bench   benchmarks as markdown tables (NumPyro rows need: pip install -e '.[bench]')"
	@echo "make lock    write requirements/lock.txt from .venv (after upgrading, make run and test)"
	@echo "make clean   delete .venv/ and caches (the next make lab or make test starts afresh)"

# Refuse a Python older than 3.11 with a message that says what to do, and throw away a .venv
# that an older (or since deleted) Python made, instead of failing in it forever.
check-venv:
	@$(PYTHON) -c '$(MIN_PYTHON_CHECK)' 2>/dev/null || { \
		echo "make: this course needs Python 3.11 or later; '$(PYTHON)' is" \
			"$$($(PYTHON) --version 2>&1 || echo 'not found')." >&2; \
		echo "      Install Python 3.11 or later, then run make again (or name it:" \
			"make lab PYTHON=/path/to/python3.12)." >&2; \
		exit 1; }
	@if test -d $(VENV) && ! $(BIN)/python -c '$(MIN_PYTHON_CHECK)' 2>/dev/null; then \
		echo "make: $(VENV)/ was made by an unusable or too old Python; rebuilding it with" \
			"$$($(PYTHON) --version)"; \
		rm -rf $(VENV); \
	fi

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# JupyterLab's news prompt and update check are off for `make lab` (they need the internet, and
# a learner should meet the course first): a page_config in the environment's own config folder.
$(RUNTIME_STAMP): pyproject.toml $(LOCK) | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c $(LOCK) -e .
	@mkdir -p $(VENV)/etc/jupyter/labconfig
	@echo '{"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": true}}' \
		> $(VENV)/etc/jupyter/labconfig/page_config.json
	@touch $@

$(DEV_STAMP): $(RUNTIME_STAMP)
	$(BIN)/python -m pip install --quiet -c $(LOCK) -e '.[test,site]'
	@touch $@

venv: check-venv
	@$(MAKE) --no-print-directory $(RUNTIME_STAMP)

venv-dev: check-venv
	@$(MAKE) --no-print-directory $(DEV_STAMP)

# JupyterLab at the course root, so that notebooks/ and student/ are both in its file browser,
# opening 00_start_here. LAB_ARGS passes options on, e.g. LAB_ARGS="--port 8890 --no-browser".
LAB_ARGS ?=
lab: venv
	$(BIN)/jupyter lab --LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate \
		--ServerApp.root_dir=. $(LAB_ARGS) notebooks/00_start_here.ipynb

# A clean student copy of one notebook, throwing away a learner's edits: make reset NB=02.
reset: venv
	@test -n "$(NB)" || { echo "make reset needs a notebook number: make reset NB=02" >&2; exit 1; }
	$(BIN)/python tools/make_student_copies.py --reset $(NB)

run: venv-dev
	$(BIN)/python tools/run_notebooks.py $(NOTEBOOKS)
	$(BIN)/python tools/make_student_copies.py

# nbval runs every notebook top to bottom; a cell that raises fails. (The student copies, the same
# notebooks to the Exercises heading, run under nbval in test-robust, which CI runs too; here the
# student copies are checked for being up to date, and student/03 runs in JupyterLab.)
# The tests run on one worker per CPU (pytest-xdist); --dist loadfile keeps each file on one
# worker, so a notebook runs whole, in order, in one kernel; the notebooks, the longest files, go
# first so that no worker is left with one at the end. It prints the 25 slowest tests and
# each notebook's run time. WORKERS=1 runs everything in one process.
WORKERS ?= auto
test: venv-dev
	$(BIN)/python -m pytest $(NOTEBOOKS) tests --nbval-lax --nbval-current-env \
		-n $(WORKERS) --dist loadfile --durations=25

# Fixed-schedule time to accuracy against NumPyro, levers, steps per second, cost as data grow
# and each notebook's Run All time (benchmarks/bench.py; about 12 minutes on 2 cores).
# NumPyro's rows need the optional extra: $(BIN)/python -m pip install -e '.[bench]'.
bench: venv-dev
	$(BIN)/python benchmarks/bench.py --notebooks

SEEDS ?= 1 2 3

test-seeds: venv-dev
	@for seed in $(SEEDS); do \
		echo "== VI_TUTORIAL_SEED=$$seed"; \
		VI_TUTORIAL_SEED=$$seed $(BIN)/python -m pytest -q $(NOTEBOOKS) \
			--nbval-lax --nbval-current-env -p no:cacheprovider \
			-n $(WORKERS) --dist loadfile || exit 1; \
	done

# After test-seeds: every student copy under nbval, then the slow checks marked robust (each
# notebook twice in one kernel, Run All in JupyterLab, the benchmark's smoke run, ...).
test-robust: test-seeds
	$(BIN)/python -m pytest -p no:cacheprovider $(STUDENT_COPIES) --nbval-lax --nbval-current-env \
		-n $(WORKERS) --dist loadfile
	$(BIN)/python -m pytest -m robust tests -n $(WORKERS) --dist loadfile --durations=0

lint: venv-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: venv-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The notebooks as a Sphinx + myst-nb site from their stored outputs (nothing is executed); builds
# and works offline; warnings are errors. How it is built and published: site/README.md.
site: venv-dev
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

# The documented set-up without make, run for real in a fresh temporary venv (tests/test_install.py).
test-install: venv-dev
	$(BIN)/python -m pytest -m install tests/test_install.py --durations=0

# The lower bounds of pyproject's ranges: a fresh venv with requirements/lowest.txt as
# constraints, then every notebook under nbval. Slow (a few minutes) and needs the registries.
LOWEST_VENV := build/venv-lowest
test-lowest: check-venv
	rm -rf $(LOWEST_VENV)
	$(PYTHON) -m venv $(LOWEST_VENV)
	$(LOWEST_VENV)/bin/python -m pip install --quiet -c requirements/lowest.txt -e '.[test]'
	$(LOWEST_VENV)/bin/python -m pip list --format=freeze | grep -iE \
		'^(numpy|scipy|torch|pyro-ppl|matplotlib|seaborn|tqdm|ipywidgets|ipykernel|jupyterlab|arviz)='
	PATH=$(CURDIR)/$(LOWEST_VENV)/bin:$$PATH $(LOWEST_VENV)/bin/python -m pytest -q \
		-p no:cacheprovider $(NOTEBOOKS) --nbval-lax --nbval-current-env \
		-n $(WORKERS) --dist loadfile

lock: venv-dev
	$(BIN)/python tools/write_lock.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
