# Two entry points for a fresh machine: `make demo` and `make test` (see README).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.trnport-installed
DEMO_DIR ?= reports/demo

.PHONY: venv demo test lint accuracy bench bundle compat clean

$(STAMP): pyproject.toml setup.py constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[hf,export,dev]'
	touch $(STAMP)

# An editable install leaves the package's bytecode to its first import, which is never
# written where PYTHONDONTWRITEBYTECODE is set (many container images): every command would
# compile the engine again. Compiling here keeps it current (up-to-date files are skipped).
venv: $(STAMP)
	@$(PY) -m compileall -q analyzers app > /dev/null

demo: venv
	@mkdir -p $(DEMO_DIR)
	$(VENV)/bin/trnport check resources/samples/tiny_cnn.onnx resources/samples/mlp_model.py \
		resources/samples/llama3-8b --trust-code --no-history \
		--format html,json,text --output-dir $(DEMO_DIR); \
		status=$$?; echo "Reports written to $(DEMO_DIR)/"; test $$status -le 1

test: venv
	$(PY) -m pytest

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	@# mypy reads the packages under their installed names from a tree of links (pyproject)
	mkdir -p build/mypy/trnport
	ln -sfn "$(CURDIR)/analyzers" build/mypy/trnport/analyzers
	$(VENV)/bin/mypy

# trnport in a torch 2.9.0 + torch-xla 2.9.0 environment (see README, "Neuron environments")
compat: venv
	bash tests/compat/run.sh

# the public regression corpus (tests/accuracy): recall per category and SDK, false alarms
accuracy: venv
	$(PY) -m tests.accuracy.run_accuracy

bench: venv
	$(PY) benchmarks/run_all.py --readme

bundle: venv
	VENV=$(VENV) bash packaging/build_bundle.sh
	bash packaging/smoke_test.sh dist/trnport

clean:
	rm -rf $(VENV) .venv-compat build dist *.egg-info reports
