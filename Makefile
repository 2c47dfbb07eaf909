# Bureau: developer and CI entry points. `make test` is what CI runs (.ci/run).

VENV        := .venv
PY          := $(VENV)/bin/python
UV          := $(VENV)/bin/uv
PYTEST_ARGS ?=
# pytest-xdist workers per half (one per CPU; each seeds its own test database).
# TEST_WORKERS=0 runs in one process, quicker for a handful of tests.
TEST_WORKERS ?= auto

# Never let uv fetch a Python; use the machine's.
export UV_PYTHON_DOWNLOADS := never

.PHONY: install install-dev demo deps test test-sqlite test-pg bench fuzz lint lock clean

install: $(VENV)/.stamp-runtime

install-dev: $(VENV)/.stamp-dev

# Order-only: the interpreter symlink's mtime must not trigger reinstalls.
$(PY):
	python3 -m venv $(VENV)

$(UV): | $(PY)
	$(VENV)/bin/pip install -q uv

$(VENV)/.stamp-runtime: requirements.lock pyproject.toml | $(UV)
	$(UV) pip install -q --python $(PY) --require-hashes -r requirements.lock
	$(UV) pip install -q --python $(PY) --no-deps -e .
	touch $@

$(VENV)/.stamp-dev: requirements-dev.lock pyproject.toml | $(UV)
	$(UV) pip install -q --python $(PY) --require-hashes -r requirements-dev.lock
	$(UV) pip install -q --python $(PY) --no-deps -e .
	touch $@

demo: install
	$(VENV)/bin/bureau migrate --noinput
	$(VENV)/bin/bureau seed-demo
	$(VENV)/bin/bureau serve

deps:
	scripts/system-deps.sh

# Both halves always run (-k, deps once); the target fails if either fails.
test: install-dev
	$(MAKE) --no-print-directory -k test-sqlite test-pg

test-sqlite: install-dev deps
	env -u DATABASE_URL -u BUREAU_DB_APP_ROLE $(VENV)/bin/pytest -q -n $(TEST_WORKERS) $(PYTEST_ARGS)

test-pg: install-dev deps
	scripts/with-postgres.sh $(VENV)/bin/pytest -q -n $(TEST_WORKERS) $(PYTEST_ARGS)

bench: install-dev
	$(PY) -m bench

# A million mutated inputs through the X12 readers in one process (not part of `make test`);
# FUZZ_COUNT, FUZZ_SEED and FUZZ_BUDGET (seconds) override; crashing inputs go to var/fuzz/.
fuzz: install-dev
	$(PY) -m bench.fuzz_x12

lint: install-dev
	$(VENV)/bin/ruff check $(wildcard src tests bench)
	$(VENV)/bin/ruff format --check $(wildcard src tests bench)
	$(VENV)/bin/mypy src/bureau

# Hash-pinned locks without download addresses (see RECIPES.md); never commit uv.lock.
lock: | $(UV)
	$(UV) pip compile -q pyproject.toml --generate-hashes -o requirements.lock
	$(UV) pip compile -q pyproject.toml --extra dev --generate-hashes -o requirements-dev.lock
	@for f in requirements.lock requirements-dev.lock; do \
		n=$$(grep -c http $$f || true); \
		if [ "$$n" != 0 ]; then echo "$$f records $$n download address(es); fix before committing" >&2; exit 1; fi; \
	done

clean:
	rm -rf $(VENV) var test-output
