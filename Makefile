# make test  - unit tests + every notebook in quick mode (what CI runs)
# make run   - execute every notebook in full mode, in place (what nbviewer shows)
# make lab   - JupyterLab on notebooks/
# make bench - the benchmark table (benchmarks/RESULTS.md, results.json)
# Each target creates .venv and installs requirements.txt + this package first.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# pytest workers: the notebooks are the slow part and run two at a time.
WORKERS ?= 2

.PHONY: install test run lab bench slides clean-artifacts

$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is needed; run make PYTHON=python3.11 ...")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt -e .
	@touch $(STAMP)

install: $(STAMP)

test: $(STAMP)
	$(PY) -m pytest -n $(WORKERS) --dist loadgroup

run: $(STAMP)
	$(PY) -m tools.run_notebooks

lab: $(STAMP)
	$(VENV)/bin/jupyter lab notebooks/

bench: $(STAMP)
	$(PY) -m benchmarks

clean-artifacts:
	rm -rf artifacts
