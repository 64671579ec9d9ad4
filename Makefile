# Two commands do all the set-up on a fresh clone:
#   make demo   create .venv, install, run the main job (`trackbench run` with its defaults)
#   make test   create .venv, install, run the test suite
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench setup clean

setup: $(STAMP)

# torch first: installing it before the rest keeps pip from fetching the CUDA build (GBs) as a
# dependency of rl-games on CPU-only machines.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

demo: setup
	$(BIN)/trackbench run

test: setup
	$(BIN)/python -m pytest

# Speed is measured by benchmarks, never by timed tests.
bench: setup
	$(BIN)/python -m pytest tests/benchmarks --benchmark-enable --benchmark-only --benchmark-columns=min,median,max
	$(BIN)/trackbench bench --robot allegro --envs 64 --steps 100

clean:
	rm -rf $(VENV) .pytest_cache .benchmarks
