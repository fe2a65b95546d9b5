# irsim: two commands from a fresh clone, `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
STAMP  := $(VENV)/.installed
DEVSTAMP := $(VENV)/.installed-dev

.PHONY: demo serve test test-slow validate bench bench-quick surrogate clean

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
	$(VENV)/bin/irsim ogtt --subject normal
	$(VENV)/bin/irsim simulate examples/person.json --years 20 --scenario examples/scenarios/lifestyle.yaml \
		--scenario examples/scenarios/metformin.yaml --out out/trajectory.csv --plot out/trajectory.png
	$(VENV)/bin/irsim report examples/person.json --scenario examples/scenarios/lifestyle.yaml -o out/report.html
	@echo "Reports written under out/ (research and education software, not medical advice)."

# The local web app on http://127.0.0.1:8000/ (needs the web extra).
serve: $(STAMP)
	$(PIP) install -q -e '.[web]'
	$(VENV)/bin/irsim serve

# The progression model's table of fast-model simulations: built once (about two minutes), then cached.
surrogate: $(STAMP)
	$(PY) -c "from irsim.models.meal_surrogate import table; table()"

# Two test processes on two cores: each runs XLA on one thread (as the trial engine's Dask workers do), instead of
# both spreading over every core (warm suite about a fifth faster; docs/performance.md)
test: $(DEVSTAMP) surrogate
	XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1 $$XLA_FLAGS" \
	  $(PY) -m pytest -n 2 --dist loadfile -q -m "not slow"

test-slow: $(DEVSTAMP) surrogate
	$(PY) -m pytest -q -m slow

validate: $(DEVSTAMP) surrogate
	$(VENV)/bin/irsim validate --replicates 8

bench: $(DEVSTAMP) surrogate
	$(PY) benchmarks/bench_assess.py
	$(PY) benchmarks/bench_meal.py
	$(PY) benchmarks/bench_progression.py
	$(PY) benchmarks/bench_trial.py
	$(PY) benchmarks/bench_cli.py

bench-quick: $(DEVSTAMP) surrogate
	$(PY) benchmarks/bench_assess.py --quick
	$(PY) benchmarks/bench_meal.py --quick
	$(PY) benchmarks/bench_progression.py --quick
	$(PY) benchmarks/bench_trial.py --quick

clean:
	rm -rf $(VENV) out build dist src/*.egg-info
