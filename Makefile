# Two entry points (see README): `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
OUT    ?= out/demo

.PHONY: install demo test test-slow bench bench-large clean

$(BIN)/.installed: pyproject.toml constraints/cpu.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints/cpu.txt -e ".[test]"
	touch $@

install: $(BIN)/.installed

demo: $(BIN)/.installed
	$(BIN)/hyperribbon demo --out $(OUT)

test: $(BIN)/.installed
	$(BIN)/python -m pytest -q

test-slow: $(BIN)/.installed
	HYPOTHESIS_PROFILE=nightly $(BIN)/python -m pytest -q -m slow

# `make bench` runs every benchmark at its default size (HYPERRIBBON_BENCH_SIZE=default: sized
# for a 2-core machine), skipping files marked with a line "# bench: large"; `make bench-large`
# runs every benchmark at HYPERRIBBON_BENCH_SIZE=large (hours, tens of GB).
bench: $(BIN)/.installed
	@for b in benchmarks/bench_*.py; do \
	  if grep -q '^# bench: large' $$b; then echo "skipped $$b (marked large: make bench-large)"; \
	  else echo "== $$b"; HYPERRIBBON_BENCH_SIZE=default $(BIN)/python $$b || exit 1; fi; done

bench-large: $(BIN)/.installed
	@for b in benchmarks/bench_*.py; do \
	  echo "== $$b"; HYPERRIBBON_BENCH_SIZE=large $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) out .hypothesis
