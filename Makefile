# The two set-up commands: `make run` and `make test`. Everything else is a building block.
BUILD ?= build
BUILD_TYPE ?= RelWithDebInfo
WAIVER := $(BUILD)/waiver

.PHONY: all deps build run test unit-test api-test format format-check tidy clean

all: build

deps:
	@scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) >/dev/null
	@cmake --build $(BUILD)

run: build
	@if [ -f waiver.db ]; then \
	  echo "waiver.db exists: for a token, run $(WAIVER) token create ana@example.com (or remove waiver.db for a new demo)"; \
	else \
	  $(WAIVER) init --demo; \
	fi
	@$(WAIVER) serve --listen 127.0.0.1:8080

test: build
	@scripts/install-deps.sh --with-node
	@$(MAKE) --no-print-directory unit-test api-test format-check

unit-test:
	@ctest --test-dir $(BUILD) --output-on-failure -j2

api-test:
	@cd tests/api && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
	@cd tests/api && WAIVER_BIN=$(abspath $(WAIVER)) npx playwright test

format:
	@git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

format-check:
	@git ls-files '*.cpp' '*.hpp' | xargs clang-format --dry-run --Werror && echo "clang-format: clean"

tidy:
	@git ls-files 'src/*.cpp' | xargs clang-tidy -p $(BUILD) --quiet

clean:
	@rm -rf $(BUILD)
