# irsim: two commands from a fresh clone, `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
STAMP  := $(VENV)/.installed
DEVSTAMP := $(VENV)/.installed-dev

.PHONY: demo test test-slow bench bench-quick clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip

$(STAMP): $(PY) pyproject.toml
	$(PIP) install -q -e .
	touch $@

$(DEVSTAMP): $(STAMP)
	$(PIP) install -q -e '.[dev]'
	touch $@

demo: $(STAMP)
	@mkdir -p out
	$(VENV)/bin/irsim assess examples/person.json
	$(VENV)/bin/irsim assess examples/person.json --format html --out out/assessment.html
	$(VENV)/bin/irsim assess examples/person.json --format json --out out/assessment.json
	@echo "Reports written under out/ (research and education software, not medical advice)."

test: $(DEVSTAMP)
	$(PY) -m pytest -n 2 -q -m "not slow"

test-slow: $(DEVSTAMP)
	$(PY) -m pytest -q -m slow

bench: $(DEVSTAMP)
	$(PY) benchmarks/bench_assess.py

bench-quick: $(DEVSTAMP)
	$(PY) benchmarks/bench_assess.py --quick

clean:
	rm -rf $(VENV) out build dist src/*.egg-info
