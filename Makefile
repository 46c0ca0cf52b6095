# Warmline: `make demo` to try it, `make test` to check it. Needs only Python 3.11+.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: demo serve worker test test-sqlite test-postgres lint format typecheck bench install clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e ".[test]"
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

## demo: install, migrate SQLite, load demo data, serve on http://127.0.0.1:8000 with a worker
demo: install
	$(BIN)/warmline demo

serve: install
	$(BIN)/warmline serve

worker: install
	$(BIN)/warmline worker

## test: lint, type-check, then the whole suite on SQLite and (when it answers) PostgreSQL + Redis
test: install lint typecheck test-sqlite test-postgres

test-sqlite: install
	@echo "== tests on SQLite"
	$(BIN)/pytest -q -p no:cacheprovider

test-postgres: install
	@if $(PY) -m warmline.core.probe postgres; then \
		echo "== tests on PostgreSQL + Redis"; \
		DATABASE_URL=$${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/warmline} \
		REDIS_URL=$${TEST_REDIS_URL:-redis://127.0.0.1:6379/15} \
		$(BIN)/pytest -q -p no:cacheprovider; \
	elif [ "$${CI:-}" = "true" ]; then \
		echo "== FAILED: CI=true and nothing answers on 127.0.0.1:5432 (PostgreSQL)"; exit 1; \
	else \
		echo "== SKIPPED: PostgreSQL tests (nothing answers on 127.0.0.1:5432; start it with pg_ctlcluster --skip-systemctl-redirect \$$(ls /etc/postgresql) main start)"; \
	fi

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: install
	$(BIN)/mypy warmline warmline_tools

## bench: seed 100,000 contacts (SQLite) and measure; writes BENCHMARKS.md and benchmarks.json
bench: install
	$(BIN)/warmline bench

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
