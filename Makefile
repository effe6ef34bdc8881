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

# Benchmarks marked large (a line "# bench: large" in the file: hours or tens of GB) are skipped
# by `make bench` and run by `make bench-large`.
bench: $(BIN)/.installed
	@for b in benchmarks/bench_*.py; do \
	  if grep -q '^# bench: large' $$b; then echo "skipped $$b (marked large: make bench-large)"; \
	  else echo "== $$b"; $(BIN)/python $$b || exit 1; fi; done

bench-large: $(BIN)/.installed
	@for b in benchmarks/bench_*.py; do \
	  if grep -q '^# bench: large' $$b; then echo "== $$b"; $(BIN)/python $$b || exit 1; fi; done

clean:
	rm -rf $(VENV) out .hypothesis
