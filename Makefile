# Two commands on a fresh machine with only Python 3.11+:
#   make run   set up, migrate, seed demo data, start the web app and an RQ worker
#   make test  set up and run every test (SQLite, PostgreSQL, real Redis, Chromium)
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
PO := $(wildcard webapp/translations/*/LC_MESSAGES/messages.po)
MO := $(PO:.po=.mo)

.PHONY: run test install worker bench translations-extract vendor clean

install: $(STAMP) $(MO)

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	rm -f $(VENV)/.installed-*; touch $@

# The translation catalogs are compiled at install, never committed compiled.
%.mo: %.po $(STAMP)
	$(BIN)/pybabel compile -i $< -o $@

run: install
	$(BIN)/python -m webapp.launcher

worker: install
	$(BIN)/python -m worker

test: install
	$(BIN)/python tests/ensure_services.py
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: install
	$(BIN)/python benchmarks/run_all.py

translations-extract: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -o webapp/translations/messages.pot .
	$(BIN)/pybabel update -i webapp/translations/messages.pot -d webapp/translations

vendor:
	cd /tmp && npm pack htmx.org@2.0.11 && tar xzf htmx.org-2.0.11.tgz
	cp /tmp/package/dist/htmx.min.js static/vendor/htmx/ && cp /tmp/package/LICENSE static/vendor/htmx/
	cd /tmp && rm -rf signature_pad && mkdir signature_pad && npm pack signature_pad@5.1.4 && tar xzf signature_pad-5.1.4.tgz -C signature_pad
	cp /tmp/signature_pad/package/dist/signature_pad.umd.min.js /tmp/signature_pad/package/LICENSE static/vendor/signature_pad/

clean:
	rm -rf $(VENV) instance .pytest_cache
