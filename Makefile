# The two commands in the README. Each makes its own virtual environment in .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test venv clean

# demo installs srs-scan alone; test adds the test tools (a stamp file for each)
$(BIN)/srs-scan: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.test-tools: $(BIN)/srs-scan
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

venv: $(VENV)/.test-tools

demo: $(BIN)/srs-scan
	rm -f out/scores.csv out/scores.srs.sqlite*
	$(BIN)/srs-scan scan samples/batch.pdf samples/fax.tif samples/phone_1.jpg samples/phone_2.jpg \
		-o out/scores.csv --overlays out/overlays
	@echo "Wrote out/scores.csv (compare with samples/truth.csv) and one picture per page in out/overlays/."
	@echo "Flagged items: $(BIN)/srs-scan review --db out/scores.srs.sqlite"

test: $(VENV)/.test-tools
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) out build *.egg-info
