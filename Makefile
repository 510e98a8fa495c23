# The two commands: `make run` and `make test`. Everything they need is installed into .venv.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
export PARTNERDESK_HOME ?= $(CURDIR)/var

.PHONY: run test pytest lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

## run: install, prepare the database, and serve on http://127.0.0.1:8000
run: $(VENV)/.installed
	$(BIN)/partnerdesk serve

## test: install the test dependencies, lint, type-check, and run the whole suite
test: lint pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy src/partnerdesk/pipeline/stages.py src/partnerdesk/pipeline/qualification.py \
		src/partnerdesk/lib/env.py src/partnerdesk/lib/addresses.py src/partnerdesk/profile.py \
		src/partnerdesk/mail/composing.py src/partnerdesk/mail/backends.py src/partnerdesk/mail/outbox.py \
		src/partnerdesk/mail/worker.py src/partnerdesk/playbooks/specs.py

pytest: $(VENV)/.installed-test
	PARTNERDESK_HOME=$(CURDIR)/test-output/home $(BIN)/pytest -q $(PYTEST_ARGS)

## bench: speed and memory figures, printed as a table
bench: $(VENV)/.installed-test
	$(BIN)/python bench/run.py
	$(BIN)/python bench/mail_bench.py
	$(BIN)/python bench/playbook_bench.py

clean:
	rm -rf $(VENV) test-output
