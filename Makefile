# The two set-up commands: `make run` and `make test`. Everything else is a building block.
BUILD ?= build
BUILD_TYPE ?= RelWithDebInfo
WAIVER := $(BUILD)/waiver
PG_CLUSTER := $(CURDIR)/scripts/pg-cluster.sh

# The PostgreSQL runs of the same suites, part of `make test` after the SQLite runs
# (`make test PG_TESTS=` leaves them out). Each target starts a throw-away cluster in a temp
# folder (scripts/pg-cluster.sh: as the `postgres` user when run as root), runs, and always
# stops it and removes the folder.
PG_TESTS ?= unit-test-postgresql api-test-postgresql test-sanitize-postgresql

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
.PHONY: unit-test-postgresql api-test-postgresql bench test-sanitize sanitize-build test-sanitize-postgresql fuzz fuzz-build fuzz-test sqlmap

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
	@$(MAKE) --no-print-directory unit-test api-test browser-test $(PG_TESTS) fuzz-test test-sanitize format-check

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

# AddressSanitizer and UndefinedBehaviorSanitizer: a build of its own (build-asan), its unit tests
# and the SQLite black-box suite against its binary. Any finding aborts the process (UBSan does
# not recover), which fails the test that caused it; leaks are reported when a process exits.
ASAN_BUILD ?= build-asan
# -fno-sanitize=vptr: UBSan's dynamic type check needs the typeinfo of SOCI's internal classes,
# which Debian's libsoci does not export (the link fails without it).
SANITIZE_FLAGS := -fsanitize=address,undefined -fno-sanitize=vptr -fno-omit-frame-pointer -fno-sanitize-recover=undefined
SANITIZE_ENV := ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# Built with clang (as the fuzz targets): GCC 12 with -fsanitize=undefined compiled about one
# object a minute here, clang several times faster.
sanitize-build: deps
	@scripts/install-deps.sh --with-fuzz
	@CXX=clang++ cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" -DCMAKE_CXX_FLAGS="$(SANITIZE_FLAGS)" \
	  -DCMAKE_EXE_LINKER_FLAGS="$(SANITIZE_FLAGS)" >/dev/null
	@cmake --build $(ASAN_BUILD) -j2

test-sanitize: sanitize-build api-deps
	@$(SANITIZE_ENV) ctest --test-dir $(ASAN_BUILD) --output-on-failure -j2 -LE postgresql
	@cd tests/api && $(SANITIZE_ENV) WAIVER_BIN=$(abspath $(ASAN_BUILD))/waiver npx playwright test

# The PostgreSQL runs under the sanitizers: the unit tests labelled `postgresql` and the whole
# black-box suite against the sanitized binary, on a throw-away cluster (part of PG_TESTS).
test-sanitize-postgresql: sanitize-build api-deps
	@$(with_pg_cluster) \
	$(SANITIZE_ENV) WAIVER_TEST_POSTGRES_URL="$$url" WAIVER_TEST_PG_DIR="$$dir" \
	  ctest --test-dir $(ASAN_BUILD) --output-on-failure -j2 -L postgresql && \
	cd tests/api && $(SANITIZE_ENV) WAIVER_TEST_ENGINE=postgresql WAIVER_TEST_PG_DIR="$$dir" \
	  WAIVER_BIN=$(abspath $(ASAN_BUILD))/waiver npx playwright test

# libFuzzer targets (fuzz/): built with Debian's clang in build-fuzz, the libraries they read
# instrumented for coverage, ASan and UBSan. `make fuzz` runs each FUZZ_SECONDS (60), growing a
# corpus in build-fuzz/corpus; `make fuzz-test` (part of `make test`) replays the checked-in corpus
# (fuzz/corpus: seeds and regressions) and then fuzzes each target FUZZ_TEST_SECONDS (5).
# A crash leaves build-fuzz/crash-TARGET-*: add it to fuzz/corpus/TARGET once fixed.
FUZZ_BUILD ?= build-fuzz
FUZZ_TARGETS := request_json organisation matrix audit_canonical
FUZZ_SECONDS ?= 60
FUZZ_TEST_SECONDS ?= 5
FUZZ_FLAGS := -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
fuzz-build:
	@scripts/install-deps.sh --with-fuzz
	@CXX=clang++ cmake -S . -B $(FUZZ_BUILD) -G Ninja -DWAIVER_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" -DCMAKE_CXX_FLAGS="$(FUZZ_FLAGS)" \
	  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" >/dev/null
	@cmake --build $(FUZZ_BUILD) -j2 --target $(FUZZ_TARGETS:%=%_fuzz)

define run_fuzzers
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_BUILD)/corpus/$$t && \
	  echo "fuzz: $$t, $(1) s" && \
	  $(FUZZ_BUILD)/fuzz/$${t}_fuzz -max_total_time=$(1) -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
	    -print_final_stats=1 -artifact_prefix=$(abspath $(FUZZ_BUILD))/crash-$$t- \
	    $(FUZZ_BUILD)/corpus/$$t fuzz/corpus/$$t 2>$(FUZZ_BUILD)/$$t.log || \
	    { tail -40 $(FUZZ_BUILD)/$$t.log; exit 1; }; \
	  grep -E '^Done [0-9]+ runs' $(FUZZ_BUILD)/$$t.log; \
	done
endef

fuzz: fuzz-build
	$(call run_fuzzers,$(FUZZ_SECONDS))

fuzz-test: fuzz-build
	@for t in $(FUZZ_TARGETS); do \
	  $(FUZZ_BUILD)/fuzz/$${t}_fuzz -runs=0 fuzz/corpus/$$t 2>$(FUZZ_BUILD)/$$t-replay.log || \
	    { tail -40 $(FUZZ_BUILD)/$$t-replay.log; exit 1; }; done; echo "fuzz: the checked-in corpus replays clean"
	$(call run_fuzzers,$(FUZZ_TEST_SECONDS))

# Not part of `make test`: Debian's sqlmap against every query parameter of the register, its
# export and a request, with a valid token, on a throw-away demo database (scripts/sqlmap.sh).
SQLMAP_LEVEL ?= 2
SQLMAP_RISK ?= 1
sqlmap: build
	@scripts/install-deps.sh --with-sqlmap
	@scripts/sqlmap.sh $(BUILD) $(SQLMAP_LEVEL) $(SQLMAP_RISK)

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
