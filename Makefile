# The two commands in the README. Each makes its own virtual environment in .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test venv clean

$(BIN)/srs-scan: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

venv: $(BIN)/srs-scan

demo: venv
	$(BIN)/srs-scan forms out/blank_sheets.pdf --count 3
	@echo "Open out/blank_sheets.pdf and print it at 100 % (actual size)."

test: venv
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) out build *.egg-info
