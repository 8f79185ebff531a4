# The two commands of the README:
#   make run    set everything up, then run the main job on the bundled data
#   make test   set everything up, then run the test suite
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: setup run test test-slow bench mutants

setup:
	@bash scripts/setup.sh

run: setup
	$(VENV)/bin/skillfit forecast

test: setup
	$(PY) -m pytest

test-slow: setup
	$(PY) -m pytest --run-slow

bench: setup
	@for b in benchmarks/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

# Mutation testing of the modules that carry numbers ([tool.mutmut] in pyproject.toml; needs
# the dev extra: pip install -e '.[dev]'). Results: mutmut results / mutmut show <name>.
mutants: setup
	$(VENV)/bin/mutmut run --max-children 2
	$(VENV)/bin/mutmut results
