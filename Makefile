# Two entry points (see README): `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
OUT    ?= out/demo

.PHONY: install demo test test-slow bench clean

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

bench: $(BIN)/.installed
	for b in benchmarks/bench_*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) out .hypothesis
