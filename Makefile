# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: install demo test lint up down bench chaos clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/python starter.py demo

# Debian's Chromium for the web app's tests in a real browser (Playwright drives it through its
# path; nothing is downloaded). Installed when missing; CHROMIUM=... names another one.
CHROMIUM ?= /usr/bin/chromium
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
$(CHROMIUM):
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium \
	  || ($(SUDO) apt-get update -q && $(SUDO) env DEBIAN_FRONTEND=noninteractive \
	      apt-get install -y -q --no-install-recommends chromium)

test: $(STAMP) $(CHROMIUM)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	CHROMIUM=$(CHROMIUM) $(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
	$(BIN)/mypy

# The embedded default signs people in to the web app as anyone in the local HR tables, on
# localhost only; a district sets OIDC_ISSUER (and WEB_LOCAL_SIGN_IN=false) instead.
WEB_LOCAL_SIGN_IN ?= true
up: $(STAMP)
	WEB_LOCAL_SIGN_IN=$(WEB_LOCAL_SIGN_IN) $(BIN)/python -m pathways.stack up

down: $(STAMP)
	$(BIN)/python -m pathways.stack down

bench: $(STAMP)
	$(BIN)/python -m bench

# The fault suite (bench/chaos.py): 1,000 journeys, 20 worker SIGKILLs, 2 PostgreSQL restarts.
chaos: $(STAMP)
	$(BIN)/python -m bench.chaos $(CHAOS_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
