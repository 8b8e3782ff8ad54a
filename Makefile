# make test  - unit tests + every notebook in quick mode (what CI runs)
# make run   - execute every notebook in full mode, in place (what nbviewer shows)
# make lab   - JupyterLab on notebooks/ (kernel websockets without Nagle: tools/jupyter_server_config.py)
# make bench - the benchmark table (benchmarks/RESULTS.md, results.json)
# make slides - reveal.js decks of the notebooks, working offline (build/slides/)
# make html  - offline HTML pages of the notebooks (build/html/00_index.html)
# make index - regenerate notebooks/00_index.ipynb and the README notebook table
#              (the GitHub slug: tools/repo.py, TUTORIAL_REPO_SLUG or a GitHub origin; make run does this too)
# slides/html install reveal.js, MathJax & co. from npm into build/vendor/ first
# (pinned in package.json / package-lock.json; needs npm).
# Each target creates .venv and installs requirements.txt + this package first.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# pytest workers: the notebooks are the slow part and run two at a time.
WORKERS ?= 2

.PHONY: install test run lab bench slides html index vendor clean-artifacts

$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is needed; run make PYTHON=python3.11 ...")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt -e .
	@touch $(STAMP)

install: $(STAMP)

test: $(STAMP)
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 $(PY) -m pytest -n $(WORKERS) --dist loadgroup

run: $(STAMP)
	$(PY) -m tools.run_notebooks

lab: $(STAMP)
	$(VENV)/bin/jupyter lab --config=tools/jupyter_server_config.py notebooks/

bench: $(STAMP)
	$(PY) -m benchmarks

clean-artifacts:
	rm -rf artifacts

vendor: $(STAMP)
	$(PY) -m tools.vendor

slides: $(STAMP)
	$(PY) -m tools.export slides

html: $(STAMP)
	$(PY) -m tools.export html

index: $(STAMP)
	$(PY) -m tools.publishing
