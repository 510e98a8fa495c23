# The two commands: `make run` and `make test`. Everything they need is installed into .venv.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
export PARTNERDESK_HOME ?= $(CURDIR)/var

.PHONY: run test pytest lint bench bench-peer clean test-services test-wheel test-deploy

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

## test: install the test dependencies, lint (ruff, and import-linter for the layers of
## ARCHITECTURE.md), type-check (mypy with the django-stubs plugin, the whole package), and run the
## whole suite
test: lint pytest

## test-wheel: build the wheel, install it (not editable) into a fresh virtualenv, and use it there
test-wheel:
	PYTHON=$(PYTHON) bash .ci/wheel-smoke

## test-deploy: deploy/ run for real (as root): PostgreSQL, 2 web processes behind nginx over HTTPS,
## 2 workers, mail in through the Postfix pipe and out to an SMTP sink, then a scripted scenario
test-deploy: $(VENV)/.installed-test
	PYTHON=$(PYTHON) bash .ci/test-deploy

lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests bench
	$(BIN)/lint-imports
	$(BIN)/mypy src/partnerdesk

# The suite runs in one process per CPU (at most 4; each test has its own data folder, and on
# PostgreSQL each process its own test database). PYTEST_WORKERS=0 runs it in this one process.
PYTEST_WORKERS ?= auto
pytest: $(VENV)/.installed-test test-services
	PARTNERDESK_HOME=$(CURDIR)/test-output/home $(BIN)/pytest -q -n $(PYTEST_WORKERS) --maxprocesses=4 $(PYTEST_ARGS)

# The browser tests drive Debian's Chromium and the IMAP tests start Debian's dovecot. As root on
# Debian they are installed here; elsewhere those tests are skipped with the reason (Playwright
# never downloads a browser of its own).
test-services:
	@test -x /usr/bin/chromium || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; } \
		|| echo "note: /usr/bin/chromium is missing: the browser tests will be skipped"; }
	@test -x /usr/sbin/dovecot || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && bash .ci/start-dovecot; } \
		|| echo "note: dovecot is missing: the IMAP fetch tests will be skipped"

## bench: speed and memory figures, printed as one table (each script's own table: test-output/bench/);
## a script that fails is reported and the table shows the others
BENCH_OUT := test-output/bench
bench: export BENCH_FIGURES := $(CURDIR)/$(BENCH_OUT)/figures.jsonl
bench: $(VENV)/.installed-test
	@mkdir -p $(BENCH_OUT) && rm -f $(BENCH_OUT)/figures.jsonl
	@echo "make bench: about 15 minutes; each script's own table goes to $(BENCH_OUT)/" >&2
	@echo "make bench: bench/run.py" >&2
	-@$(BIN)/python bench/run.py > $(BENCH_OUT)/run.txt 2>&1
	@echo "make bench: bench/mail_bench.py" >&2
	-@$(BIN)/python bench/mail_bench.py > $(BENCH_OUT)/mail_bench.txt 2>&1
	@echo "make bench: bench/playbook_bench.py" >&2
	-@$(BIN)/python bench/playbook_bench.py > $(BENCH_OUT)/playbook_bench.txt 2>&1
	@echo "make bench: bench/inbound_bench.py" >&2
	-@$(BIN)/python bench/inbound_bench.py > $(BENCH_OUT)/inbound_bench.txt 2>&1
	@echo "make bench: bench/partnership_bench.py" >&2
	-@$(BIN)/python bench/partnership_bench.py > $(BENCH_OUT)/partnership_bench.txt 2>&1
	@echo "make bench: bench/web_bench.py" >&2
	-@$(BIN)/python bench/web_bench.py > $(BENCH_OUT)/web_bench.txt 2>&1
	@echo "make bench: bench/mailgate_bench.py" >&2
	-@$(BIN)/python bench/mailgate_bench.py > $(BENCH_OUT)/mailgate_bench.txt 2>&1
	@$(BIN)/python bench/table.py $(BENCH_OUT)/figures.jsonl | tee $(BENCH_OUT)/table.txt

## bench-peer: install django-helpdesk (into .venv-peer, from PyPI) and measure batch ingest beside it;
## `make bench` includes it from then on
PEER := .venv-peer
PEER_PACKAGE := django-helpdesk==2.6.1
$(PEER)/.installed:
	$(PYTHON) -m venv $(PEER)
	$(PEER)/bin/pip install --quiet --disable-pip-version-check '$(PEER_PACKAGE)'
	touch $@

bench-peer: export BENCH_FIGURES := $(CURDIR)/$(BENCH_OUT)/peer-figures.jsonl
bench-peer: $(VENV)/.installed-test $(PEER)/.installed
	@mkdir -p $(BENCH_OUT) && rm -f $(BENCH_OUT)/peer-figures.jsonl
	@echo "make bench-peer: bench/inbound_bench.py, about 5 minutes" >&2
	-@$(BIN)/python bench/inbound_bench.py > $(BENCH_OUT)/inbound_bench.txt 2>&1
	@$(BIN)/python bench/table.py $(BENCH_OUT)/peer-figures.jsonl

clean:
	rm -rf $(VENV) test-output
