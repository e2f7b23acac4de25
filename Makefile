# The two set-up commands: `make run` and `make test`. Everything else is a building block.
BUILD ?= build
BUILD_TYPE ?= RelWithDebInfo
WAIVER := $(BUILD)/waiver
PG_CLUSTER := $(CURDIR)/scripts/pg-cluster.sh

# The PostgreSQL runs of the same suites, part of `make test` after the SQLite runs
# (`make test PG_TESTS=` leaves them out). Each target starts a throw-away cluster in a temp
# folder (scripts/pg-cluster.sh: as the `postgres` user when run as root), runs, and always
# stops it and removes the folder.
PG_TESTS ?= unit-test-postgresql api-test-postgresql

# The web interface (web/): installed with npm ci when its lock file changes, built with Vite to
# web/dist when a source (or the OpenAPI document its types come from) changes. `waiver serve`
# serves web/dist (web_root / WAIVER_WEB_ROOT to serve another folder).
WEB_SOURCES := $(shell find web/src web/public -type f 2>/dev/null) web/index.html web/vite.config.ts \
  web/svelte.config.js web/tsconfig.json web/package.json src/http/openapi.json
# `make run` gives these demo people a password, so they can sign in in the browser.
DEMO_PASSWORD ?= waiver-demo-password
DEMO_PEOPLE := ana@example.com eng.head@example.com sec@example.com owner@example.com legal@example.com \
  ceo@example.com cfo@example.com auditor@example.com admin@example.com

.PHONY: all deps build run test unit-test api-test api-deps format format-check tidy clean
.PHONY: web browser-deps browser-test
.PHONY: unit-test-postgresql api-test-postgresql bench

all: build

deps:
	@scripts/install-deps.sh

build: deps web
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) >/dev/null
	@cmake --build $(BUILD)

run: build
	@if [ -f waiver.db ]; then \
	  echo "waiver.db exists: for a token, run $(WAIVER) token create ana@example.com (or remove waiver.db for a new demo)"; \
	else \
	  $(WAIVER) init --demo && \
	  for u in $(DEMO_PEOPLE); do \
	    out=$$(echo "$(DEMO_PASSWORD)" | $(WAIVER) user set-password $$u 2>&1) || { echo "$$out" >&2; exit 1; }; done && \
	  echo "In a browser: http://127.0.0.1:8080/ and sign in as any of $(DEMO_PEOPLE) with the password $(DEMO_PASSWORD)"; \
	fi
	@$(WAIVER) serve --listen 127.0.0.1:8080

test: build
	@scripts/install-deps.sh --with-node --with-browser
	@$(MAKE) --no-print-directory unit-test api-test browser-test $(PG_TESTS) format-check

web: web/dist/index.html

web/node_modules/.installed: web/package-lock.json
	@scripts/install-deps.sh --with-node
	@cd web && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

web/dist/index.html: web/node_modules/.installed $(WEB_SOURCES)
	@cd web && npm run --silent build

# The browser suite (tests/browser): svelte-check on web/ (types and accessibility warnings), then
# Debian's chromium, never a downloaded browser. Screenshots of each page land in $(BUILD)/screenshots.
browser-deps:
	@cd tests/browser && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error

browser-test: browser-deps web
	@cd web && npm run --silent check -- --fail-on-warnings --threshold warning >/dev/null || (cd web && npm run check; exit 1)
	@cd tests/browser && WAIVER_BIN=$(abspath $(WAIVER)) WAIVER_WEB_ROOT=$(abspath web/dist) \
	  WAIVER_SCREENSHOTS=$(abspath $(BUILD))/screenshots npx playwright test

# Tests labelled `postgresql` need a cluster: they run in unit-test-postgresql only.
unit-test:
	@ctest --test-dir $(BUILD) --output-on-failure -j2 -LE postgresql

api-deps:
	@cd tests/api && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error

api-test: api-deps
	@cd tests/api && WAIVER_BIN=$(abspath $(WAIVER)) npx playwright test

# The shell recipe shared by the two PostgreSQL targets: a cluster in a new temp folder, its URL
# in $url and its folder in $dir, stopped and removed on exit whatever happens (kept, with its
# folder printed, when WAIVER_KEEP_TMP is set).
define with_pg_cluster
	dir=$$(mktemp -d "$${TMPDIR:-/tmp}/waiver-pg.XXXXXX") || exit 1; \
	cleanup() { if [ -n "$${WAIVER_KEEP_TMP:-}" ]; then echo "PostgreSQL cluster kept in $$dir ($(PG_CLUSTER) stop $$dir)"; \
	  else "$(PG_CLUSTER)" stop "$$dir"; fi; }; \
	trap cleanup EXIT; trap 'exit 130' INT; trap 'exit 143' TERM; \
	url=$$("$(PG_CLUSTER)" start "$$dir") || exit 1;
endef

# ctest gets the cluster's superuser URL (database `postgres`) in WAIVER_TEST_POSTGRES_URL, and its
# folder in WAIVER_TEST_PG_DIR for `scripts/pg-cluster.sh createdb $WAIVER_TEST_PG_DIR NAME`.
unit-test-postgresql:
	@$(with_pg_cluster) \
	WAIVER_TEST_POSTGRES_URL="$$url" WAIVER_TEST_PG_DIR="$$dir" \
	  ctest --test-dir $(BUILD) --output-on-failure -j2 -L postgresql

# The whole black-box suite, each spec file on a new database of the cluster (helpers/server.ts).
api-test-postgresql: api-deps
	@$(with_pg_cluster) \
	cd tests/api && WAIVER_TEST_ENGINE=postgresql WAIVER_TEST_PG_DIR="$$dir" \
	  WAIVER_BIN=$(abspath $(WAIVER)) npx playwright test

# Not part of `make test`: a Release build, the figures of docs/performance.md beside their
# ceilings. `make bench N=10000` for a quick run (default: 10000 100000 1000000).
N ?= 10000 100000 1000000
bench: deps
	@scripts/install-deps.sh --with-bench
	@bench/run.sh $(N)

format:
	@git ls-files --cached --others --exclude-standard '*.cpp' '*.hpp' | xargs clang-format -i

format-check:
	@git ls-files --cached --others --exclude-standard '*.cpp' '*.hpp' | xargs clang-format --dry-run --Werror && echo "clang-format: clean"

tidy:
	@git ls-files 'src/*.cpp' | xargs clang-tidy -p $(BUILD) --quiet

clean:
	@rm -rf $(BUILD) web/dist
