# Cohort: `make run` starts the bot, `make test` runs the whole suite. Both set up first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: run test lint fmt bench bench-quick setup system-deps clean

setup: $(STAMP) system-deps

# Re-install only when pyproject.toml changes. torch is pinned to the CPU build first so
# nothing can pull a multi-GB CUDA build.
$(STAMP): pyproject.toml
	@echo "==> [1/4] creating the virtual environment in $(VENV)"
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "==> [2/4] upgrading pip, setuptools and wheel"
	@$(PY) -m pip install -q --disable-pip-version-check --upgrade pip setuptools wheel
	@echo "==> [3/4] installing torch 2.13.0 (CPU build, about 200 MB; the longest step)"
	@$(PY) -m pip install -q --disable-pip-version-check torch==2.13.0
	@echo "==> [4/4] installing Cohort and its dependencies (discord.py, python-telegram-bot, sentence-transformers ...)"
	@# setuptools' "Editable installation" notice warns about package folders in the working
	@# directory, which is exactly this repository's layout: silenced, nothing else is.
	@PYTHONWARNINGS="ignore:Editable installation" \
	  $(PY) -m pip install -q --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)
	@echo "==> setup done"

# The judge's sandbox needs bubblewrap, and rank cards and charts draw names in every script
# with the fonts below (never downloaded at run time); install them where we can (root with
# apt). Without the fonts, cards fall back to DejaVu Sans (Latin, Greek, Cyrillic only).
FONT_PACKAGES := fonts-noto-core fonts-noto-cjk fonts-noto-color-emoji fonts-symbola
system-deps:
	@command -v bwrap >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get install -y -qq bubblewrap >/dev/null 2>&1 || \
	    { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq bubblewrap >/dev/null; }; \
	  else echo "note: bubblewrap is not installed; sandbox tests will be skipped"; fi; }
	@dpkg -s $(FONT_PACKAGES) >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(FONT_PACKAGES) >/dev/null 2>&1 || \
	    { apt-get update -qq >/dev/null 2>&1 && \
	      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(FONT_PACKAGES) >/dev/null; }; \
	  else echo "note: $(FONT_PACKAGES) are not installed; cards draw Latin and Cyrillic only"; fi; }
	@command -v faketime >/dev/null 2>&1 || { if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then apt-get install -y -qq faketime >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq faketime >/dev/null; }; else echo "note: faketime is not installed; CI's future-date pass needs it"; fi; }

	@# The dashboard's browser tests drive Debian's headless chromium (never downloaded).
	@command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null 2>&1 || \
	    { apt-get update -qq >/dev/null 2>&1 && \
	      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; }; \
	  else echo "note: chromium and chromium-driver are not installed; dashboard browser tests need them"; fi; }

run: setup
	$(VENV)/bin/cohort run

# The suite runs on up to four workers (pytest-xdist): a third of its time is spent waiting
# on bot processes, emulators and the sandbox, so two cores finish it in about half the time.
TEST_JOBS ?= $(shell n=$$(nproc 2>/dev/null || echo 2); echo $$(( n < 4 ? n : 4 )))
test: setup
	$(PY) -m pytest -n $(TEST_JOBS) --dist worksteal

lint: $(STAMP)
	$(VENV)/bin/ruff check bot handlers recommender storage config tests benchmarks
	$(VENV)/bin/mypy bot handlers recommender storage config
	$(VENV)/bin/lint-imports

# Every benchmark, then one goal table (also written to benchmarks/results.json).
# BENCH_DB=postgresql+asyncpg://... runs the storage benchmarks on that database too.
bench: setup
	PYTHONPATH=. $(PY) benchmarks/run.py $(if $(BENCH_DB),--database $(BENCH_DB))

# Reduced sizes, under two minutes: a smoke check of every goal, not the gate.
bench-quick: setup
	PYTHONPATH=. $(PY) benchmarks/run.py --quick $(if $(BENCH_DB),--database $(BENCH_DB))

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
