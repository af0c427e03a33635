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
	# the demo keeps its own store in out/, never the clinic's (the samples are not anyone's data)
	rm -rf out/scores.csv out/demo.srs.sqlite* && mkdir -p out
	$(BIN)/srs-scan scan samples/batch.pdf samples/fax.tif samples/phone_1.jpg samples/phone_2.jpg \
		-o out/scores.csv --overlays out/overlays --db out/demo.srs.sqlite
	@echo "Wrote out/scores.csv (compare with samples/truth.csv) and one picture per page in out/overlays/."
	@echo "Flagged items: $(BIN)/srs-scan review --db out/demo.srs.sqlite"

test: $(VENV)/.test-tools
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) out build *.egg-info
