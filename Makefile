# Two commands for a newcomer: `make run` and `make test`. See README.md.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app biobank
# `make run` serves plain HTTP on 127.0.0.1, so the Secure cookie flag is switched off there only.
RUN_ENV := BIOBANK_SESSION_COOKIE_SECURE=0 BIOBANK_REMEMBER_COOKIE_SECURE=0

.PHONY: run test install install-test system-deps postgres instance lint bench bench-quick fuzz guides clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	$(VENV)/bin/pybabel -q compile -d biobank/translations
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PY) -m pip install -q -e '.[test]'
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

# Debian packages the tests and tools use: Chromium for e2e tests, poppler for PDF
# rasterising, CJK fonts (Noto for screens and PNG, WenQuanYi Micro Hei because reportlab can
# embed TrueType outlines but not Noto's CFF ones) for Chinese PDFs, bcftools/tabix for
# benchmarks. Installed only when
# missing, and only where apt-get can run (root on Debian).
system-deps:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v pdftoppm >/dev/null || missing="$$missing poppler-utils"; \
	test -e /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc || missing="$$missing fonts-noto-cjk"; \
	test -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc || missing="$$missing fonts-wqy-microhei"; \
	command -v bcftools >/dev/null || missing="$$missing bcftools"; \
	command -v tabix >/dev/null || missing="$$missing tabix"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "warning: missing system packages:$$missing (tests that need them are skipped)"; fi; \
	fi

# PostgreSQL at 127.0.0.1:5432 with the `test` database, for the suite's PostgreSQL half, the
# multi-process deployment test and the queue benchmark (huey's tables live in that database:
# nothing else to run). .ci/postgres installs Debian's packages if missing and starts the
# cluster; where it cannot (not root), the PostgreSQL tests are skipped with the reason — except
# under CI=true, where that fails the run.
postgres:
	@bash .ci/postgres || { \
	  if [ "$${CI:-}" = true ]; then exit 1; fi; \
	  echo "warning: no PostgreSQL: the PostgreSQL tests are skipped"; }

instance: install
	@test -f instance/config.py || $(PY) -c "import secrets; print('SECRET_KEY = ' + repr(secrets.token_hex(32)))" > instance/config.py
	$(FLASK) db upgrade
	$(FLASK) seed-demo

# One classification worker runs beside the server (large VCFs are classified off the request;
# see docs/DEPLOY.md); stopping the server (Ctrl-C) stops it too.
run: instance
	@echo "Serving on http://127.0.0.1:5000 — sign in with a demo login above."
	@$(RUN_ENV) $(FLASK) worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT; \
	$(RUN_ENV) $(FLASK) run --host 127.0.0.1 --port 5000

test: install-test system-deps postgres
	$(VENV)/bin/pytest

lint: install-test
	$(VENV)/bin/ruff check biobank variant_calling labels tests bench
	$(VENV)/bin/mypy

bench: install-test system-deps postgres
	$(PY) bench/run_all.py

bench-quick: install-test system-deps postgres
	$(PY) bench/run_all.py --quick

# The suite's hypothesis fuzzers (scan parser, scan endpoints, rack CSV, VCF reader) at
# FUZZ_EXAMPLES examples each instead of the suite's bounded count.
fuzz: install-test
	$(PY) bench/fuzz_long.py

# The user guides' screenshots (docs/guides/img), taken by the e2e test that walks each role's
# screens in both languages.
guides: install-test system-deps
	GUIDE_SCREENSHOT_DIR=docs/guides/img $(VENV)/bin/pytest -q -p no:cacheprovider tests/biobank/e2e/test_guide_screens.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache bench/out
