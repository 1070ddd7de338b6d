# booksync: `make demo` runs the main job on the embedded sample data; `make test` runs every check.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.booksync-installed
DEMO_DIR ?= demo

.PHONY: demo test lint typecheck pytest docs bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[ledger,server,postgres,redis,metrics,emulators,dev]"
	@touch $(STAMP)

demo: $(STAMP)
	@rm -rf $(DEMO_DIR) && mkdir -p $(DEMO_DIR)
	$(BIN)/booksync --db $(DEMO_DIR)/booksync.db demo --dir $(DEMO_DIR)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy src/booksync
	$(BIN)/mypy --strict src/booksync/domain

pytest: $(STAMP)
	$(BIN)/pytest -n 2 -q

# The docs site, into site/; --strict: a broken link, a missing page or a stale rule fails the build.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --clean --quiet

test: lint typecheck pytest docs

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) $(DEMO_DIR) site booksync.db .pytest_cache .mypy_cache .ruff_cache
