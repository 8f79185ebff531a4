# The commands of the README (docs: the HTML site):
#   make run    set everything up, then run the main job on the bundled data
#   make test   set everything up, then run the test suite (and the docstring examples)
#   make docs   set everything up (with the docs extra), then build the HTML site and API
#               reference into docs/_build/html; any Sphinx warning fails it
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: setup run test test-slow bench docs mutants

# Optional-dependency groups that setup installs (pyproject.toml); `make docs` adds docs,
# `make mutants` dev.
SKILLFIT_EXTRAS ?= test

setup:
	@SKILLFIT_VENV=$(VENV) SKILLFIT_EXTRAS=$(SKILLFIT_EXTRAS) bash scripts/setup.sh

run: setup
	$(VENV)/bin/skillfit forecast

test: setup
	$(PY) -m pytest

test-slow: setup
	$(PY) -m pytest --run-slow

bench: setup
	@for b in benchmarks/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

# -W --keep-going: every warning is an error, all of them reported in one run. Nitpicky mode
# (-n) checks every cross-reference to a skillfit object; references to other libraries cannot
# be linked offline and are exempted in docs/conf.py. The generated API stubs are rebuilt each
# time so that a removed module leaves no stale page behind.
# `make docs` alone installs test+docs in one go (the variable reaches setup); the explicit
# second call covers `make test docs`, where setup already ran without docs (a no-op otherwise).
docs: SKILLFIT_EXTRAS = test,docs
docs: setup
	@SKILLFIT_VENV=$(VENV) SKILLFIT_EXTRAS=test,docs bash scripts/setup.sh
	rm -rf docs/api/generated
	$(PY) -m sphinx -b html -W --keep-going -n docs docs/_build/html

# Mutation testing of the modules that carry numbers ([tool.mutmut] in pyproject.toml; needs
# the dev extra, which this target installs). Results: mutmut results / mutmut show <name>.
mutants: SKILLFIT_EXTRAS = test,dev
mutants: setup
	@SKILLFIT_VENV=$(VENV) SKILLFIT_EXTRAS=test,dev bash scripts/setup.sh
	$(VENV)/bin/mutmut run --max-children 2
	$(VENV)/bin/mutmut results
