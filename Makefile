# The front door: every target installs what it needs into .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev
BENCH_STAMP := $(VENV)/.installed-bench
SERVE_STAMP := $(VENV)/.installed-serve
MODEL ?= models/default
# The kernels compiled ahead of time (threat-tagger warm); the test suite requires them where a
# C compiler can build them, and runs on numba's JIT cache elsewhere.
AOT := infer/_aot_kernels.json
KERNEL_SOURCES := infer/tokenkernels.py infer/charkernels.py infer/placekernels.py infer/warm.py
KERNELS ?= $(if $(shell command -v cc),aot,auto)
PORT ?= 8000

.PHONY: help install bytecode train train-full train-fast test fuzz lint bench serve clean

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{gsub(/\$$\$$/, "$$", $$2); printf "  make %-11s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev,train]'
	@touch $@

$(AOT): $(KERNEL_SOURCES) $(STAMP)
	$(BIN)/threat-tagger warm  # every scoring kernel: numba's cache, then compiled ahead of time

$(BENCH_STAMP): pyproject.toml $(STAMP)
	$(BIN)/pip install -q -e '.[dev,train,bench,serve,dask,spark]'
	@touch $@

$(SERVE_STAMP): pyproject.toml $(STAMP)
	$(BIN)/pip install -q -e '.[dev,serve]'
	@touch $@

# Our modules' bytecode, written now: an editable install gets none from pip, and where
# PYTHONDONTWRITEBYTECODE is set (as in many containers) no import writes it, so every
# `score` process and --jobs worker would compile infer/ from source (~0.05-0.1 s CPU each).
# Up-to-date files are skipped; a source edited later is recompiled in memory on import.
bytecode: $(STAMP)
	@$(BIN)/python -m compileall -q infer train

install: $(STAMP) $(AOT) bytecode  ## Create .venv and install the project with its dev tools

train: $(STAMP) $(AOT) bytecode  ## Train models/default from the demo corpus in data/
	$(BIN)/threat-tagger train --config train/configs/default.toml

train-full: $(STAMP) $(AOT) bytecode  ## Train models/full from the real corpora in $$THREAT_CORPORA plus data/
	$(BIN)/threat-tagger train --config train/configs/full.toml

train-fast: $(STAMP) $(AOT) bytecode  ## Train models/fast (word n-grams only, for bulk scoring) from the same corpora
	$(BIN)/threat-tagger train --config train/configs/fast.toml

test: $(BENCH_STAMP) $(AOT) bytecode  ## Run the test suite (bench, serve, dask and spark extras too: their plumbing is tested)
	THREAT_TAGGER_KERNELS=$(KERNELS) $(BIN)/pytest -q

fuzz: $(STAMP) $(AOT) bytecode  ## Fuzz the readers, writers and Predictor.predict: 10,000 examples per target
	FUZZ_EXAMPLES=10000 $(BIN)/pytest -q -p no:cacheprovider tests/infer/test_fuzz.py

lint: $(STAMP)  ## ruff check and ruff format --check (CI runs both)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(BENCH_STAMP) $(AOT) bytecode  ## Speed and accuracy benchmarks; writes BENCHMARKS.md
	$(BIN)/python -m train.bench

serve: $(SERVE_STAMP) $(AOT) bytecode  ## Serve models/default over HTTP on 127.0.0.1:8000 (MODEL=DIR PORT=N to change)
	@if [ "$(MODEL)" = models/default ] && [ ! -f models/default/meta.json ]; then $(MAKE) train; fi
	$(BIN)/threat-tagger serve --model $(MODEL) --port $(PORT)

clean:  ## Remove the virtualenv and caches
	rm -rf $(VENV) .pytest_cache .ruff_cache
