# The two commands: `make run` and `make test`. Everything they need is installed into .venv.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
export PARTNERDESK_HOME ?= $(CURDIR)/var

.PHONY: run test pytest lint bench clean test-services test-wheel test-deploy

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

## test-wheel: build the wheel, install it (not editable) into a fresh virtualenv, and use it there
test-wheel:
	PYTHON=$(PYTHON) bash .ci/wheel-smoke

## test-deploy: deploy/ run for real (as root): PostgreSQL, 2 web processes behind nginx over HTTPS,
## 2 workers, mail in through the Postfix pipe and out to an SMTP sink, then a scripted scenario
test-deploy: $(VENV)/.installed-test
	PYTHON=$(PYTHON) bash .ci/test-deploy

lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy src/partnerdesk/pipeline/stages.py src/partnerdesk/pipeline/qualification.py \
		src/partnerdesk/lib/env.py src/partnerdesk/lib/addresses.py src/partnerdesk/lib/toml_files.py src/partnerdesk/profile.py \
		src/partnerdesk/mail/composing.py src/partnerdesk/mail/backends.py src/partnerdesk/mail/outbox.py \
		src/partnerdesk/mail/worker.py src/partnerdesk/playbooks/specs.py \
		src/partnerdesk/inbound/mailgate.py src/partnerdesk/inbound/parsing.py src/partnerdesk/inbound/reading.py \
		src/partnerdesk/integrations/calendly/webhook.py src/partnerdesk/integrations/calendly/booking.py \
		src/partnerdesk/integrations/calendly/notification.py \
		src/partnerdesk/agreements/readiness.py src/partnerdesk/agreements/diffing.py

pytest: $(VENV)/.installed-test test-services
	PARTNERDESK_HOME=$(CURDIR)/test-output/home $(BIN)/pytest -q $(PYTEST_ARGS)

# The browser tests drive Debian's Chromium and the IMAP tests start Debian's dovecot. As root on
# Debian they are installed here; elsewhere those tests are skipped with the reason (Playwright
# never downloads a browser of its own).
test-services:
	@test -x /usr/bin/chromium || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; } \
		|| echo "note: /usr/bin/chromium is missing: the browser tests will be skipped"; }
	@test -x /usr/sbin/dovecot || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && bash .ci/start-dovecot; } \
		|| echo "note: dovecot is missing: the IMAP fetch tests will be skipped"

## bench: speed and memory figures, printed as a table
bench: $(VENV)/.installed-test
	$(BIN)/python bench/run.py
	$(BIN)/python bench/mail_bench.py
	$(BIN)/python bench/playbook_bench.py
	$(BIN)/python bench/inbound_bench.py
	$(BIN)/python bench/partnership_bench.py
	$(BIN)/python bench/web_bench.py
	$(BIN)/python bench/mailgate_bench.py

clean:
	rm -rf $(VENV) test-output
