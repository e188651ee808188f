# Two commands on a fresh machine: `make lab` and `make test`. Both create .venv once;
# running them again does not reinstall (the stamp file is newer than pyproject.toml).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.cnnlessons-installed
SANITIZE := tests/nbval_sanitize.cfg
# Two pytest workers; nbval needs --dist loadscope so one notebook's cells stay on one worker.
WORKERS ?= 2
# One math thread per worker (and per notebook kernel, which inherits it): two workers with two
# threads each on a 2-core machine oversubscribe it, and the spinning thread pools then burn
# several times the CPU time a notebook needs.
TEST_THREADS ?= 1

.PHONY: lab lint twins test unit notebooks run-notebook run-notebooks bench bench-binder sync-links clean-venv chromium course grade-all book hub-deps

# Every extra in pyproject.toml (test, browser, lab, and any added later): what CI needs.
TEST_EXTRAS := $(shell sed -n '/^\[project.optional-dependencies\]/,/^\[/s/^\([A-Za-z0-9_-]*\) *=.*/\1/p' pyproject.toml | paste -sd, -)
LAB_STAMP := $(VENV)/.cnnlessons-lab-installed

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade --quiet pip
	$(PY) -m pip install --quiet -e ".[$(TEST_EXTRAS)]"
	@touch $(STAMP) $(LAB_STAMP)

# A student's set-up: the package and JupyterLab (the `lab` extra), no test or browser tools.
$(LAB_STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade --quiet pip
	$(PY) -m pip install --quiet -e ".[lab]"
	@touch $(LAB_STAMP)

# As root (a container, a fresh cloud VM) JupyterLab refuses to start without --allow-root.
LAB_ROOT := $(if $(filter 0,$(shell id -u 2>/dev/null)),--allow-root,)

lab: $(LAB_STAMP)
	$(VENV)/bin/jupyter lab $(LAB_ROOT) notebooks/00_start_here.ipynb

# ruff (settings in pyproject.toml's [tool.ruff]); `make test` runs it first, so CI does too.
LINT_PATHS := cnnlessons tests benchmarks scripts
lint: $(STAMP)
	$(VENV)/bin/ruff check $(LINT_PATHS)
	$(VENV)/bin/ruff format --check $(LINT_PATHS)

# The notebooks' text twins (jupytext percent format, notebooks/NN_name.py): what a reviewer reads
# in a diff. tests/test_notebook_twins.py fails when one is missing or older than its notebook.
twins: $(STAMP)
	$(PY) scripts/sync_twins.py

# Lint, then unit tests and strict nbval over every notebook, in one pytest run.
test: $(STAMP) lint
	OMP_NUM_THREADS=$(TEST_THREADS) $(PY) -m pytest -n $(WORKERS) --dist loadscope \
	  --nbval --nbval-current-env --nbval-sanitize-with $(SANITIZE) tests notebooks

unit: $(STAMP)
	OMP_NUM_THREADS=$(TEST_THREADS) $(PY) -m pytest -n $(WORKERS) tests

notebooks: $(STAMP)
	OMP_NUM_THREADS=$(TEST_THREADS) $(PY) -m pytest -n $(WORKERS) --dist loadscope \
	  --nbval --nbval-current-env --nbval-sanitize-with $(SANITIZE) notebooks

# The website: a page per lesson from the stored outputs (nothing executed), launch buttons from
# pyproject's repository setting. HTML in build/book/_build/html.
book: $(STAMP)
	$(PY) scripts/build_book.py --out build/book

# Execute a notebook top to bottom in a fresh kernel and store its outputs.
run-notebook: $(STAMP)
	$(VENV)/bin/jupyter nbconvert --to notebook --execute --inplace \
	  --ExecutePreprocessor.timeout=900 $(NB)

run-notebooks: $(STAMP)
	for nb in notebooks/[0-9]*.ipynb; do $(MAKE) run-notebook NB=$$nb || exit 1; done

bench: $(STAMP)
	$(PY) benchmarks/run_all.py

# Every notebook under Binder's resources (2 GiB, one CPU's worth of time by cgroup quota, a busy
# neighbour process on the other core); needs root and Linux cgroups. NB=... for some notebooks.
bench-binder: $(STAMP)
	$(PY) benchmarks/bench_binder.py $(NB)

# Rewrite every Binder/Colab/JupyterHub link in README.md and the notebooks from pyproject.toml
# ([project.urls] Repository, [tool.cnnlessons] ref). A fork: REPO=https://github.com/you/cnnlessons REF=v1
sync-links:
	$(if $(wildcard $(PY)),$(PY),$(PYTHON)) scripts/sync_links.py $(if $(REPO),--repo $(REPO)) $(if $(REF),--ref $(REF))

# The teacher's edition (the `teacher` extra, nbgrader): build/course/ with one problem set per lesson
# (source/ with solutions, release/ for students). grade-all autogrades a solved copy and the untouched
# student copy of every lesson's problem set (in a throw-away build/course-check/) and prints the
# points per lesson.
COURSE ?= build/course
course: $(STAMP)
	OMP_NUM_THREADS=$(TEST_THREADS) $(PY) -m cnnlessons.course generate $(COURSE)

grade-all: $(STAMP)
	OMP_NUM_THREADS=$(TEST_THREADS) $(PY) -m cnnlessons.course grade build/course-check --untouched --fresh

clean-venv:
	rm -rf $(VENV)

# Chromium for the browser test (tests/test_browser.py), with apt when missing; .ci/run calls it.
# The playwright package itself comes with the `browser` extra above.
chromium:
	bash scripts/install_chromium.sh

# configurable-http-proxy (npm) for the classroom hub test, into build/node/ (no global install).
hub-deps:
	@test -x build/node/node_modules/.bin/configurable-http-proxy || \
	  (mkdir -p build/node && cd build/node && npm install --silent --no-audit --no-fund configurable-http-proxy@4) || \
	  echo "npm unavailable: tests/test_hub.py will be skipped"
