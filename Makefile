# Two commands do all the set-up on a fresh clone:
#   make demo   create .venv, install, run the main job (`trackbench run` with its defaults)
#   make test   create .venv, install, run the test suite
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench setup clean

setup: $(STAMP)

# torch first and pinned, so that the rest (rl-games) finds it installed and pip fetches no other
# build. Which build pip takes is pip's configuration: a local CPU wheel where one is on its path
# (this project's CPU machines), else PyPI's default (on Linux the CUDA build, GBs). On a CPU-only
# machine without a local wheel, TORCH_INDEX=https://download.pytorch.org/whl/cpu takes the CPU one.
TORCH_INDEX ?=
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0 $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX))
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
