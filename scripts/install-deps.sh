#!/usr/bin/env bash
# Installs the Debian packages Waiver needs to build and test. Idempotent: quiet when all is there.
#   --with-node     also check for Node.js 20+ (the web interface's build, the black-box tests)
#   --with-browser  also install Debian's chromium (the browser tests; Playwright never downloads one)
#   --with-bench    also install wrk (make bench)
#   --with-fuzz     also install Debian's clang and its runtime (libFuzzer, sanitizers) for make fuzz
#   --with-sqlmap   also install sqlmap (make sqlmap)
set -euo pipefail

with_node=false
with_browser=false
with_bench=false
with_fuzz=false
with_sqlmap=false
for arg in "$@"; do
  case "$arg" in
    --with-node) with_node=true ;;
    --with-browser) with_browser=true ;;
    --with-bench) with_bench=true ;;
    --with-fuzz) with_fuzz=true ;;
    --with-sqlmap) with_sqlmap=true ;;
    *) echo "install-deps: unknown option $arg" >&2; exit 2 ;;
  esac
done

packages=(
  build-essential g++ cmake ninja-build pkg-config git
  librestinio-dev libasio-dev libfmt-dev libspdlog-dev nlohmann-json3-dev libyaml-cpp-dev
  libexpected-dev libsodium-dev libcurl4-openssl-dev libssl-dev libcli11-dev libsimdjson-dev
  libsoci-dev libboost-dev libsqlite3-dev libpq-dev sqlite3 libxlsxwriter-dev unzip libcsv-dev
  postgresql postgresql-client
  libgtest-dev libgmock-dev clang-format clang-tidy
  curl ca-certificates
)
if $with_browser; then packages+=(chromium); fi
if $with_bench; then packages+=(wrk python3 valgrind); fi
# libFuzzer ships in libclang-rt-14-dev (Debian 12's clang is 14); only the fuzz targets use clang.
if $with_fuzz; then packages+=(clang libclang-rt-14-dev); fi
if $with_sqlmap; then packages+=(sqlmap); fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing Debian packages: ${missing[*]}" >&2
    echo "install-deps: run as root (or: sudo apt-get install ${missing[*]})" >&2
    exit 1
  fi
  echo "install-deps: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if $with_node; then
  if ! command -v node >/dev/null 2>&1; then
    echo "install-deps: Node.js 20 or newer is required to build the web interface and run the black-box tests, and none is installed." >&2
    echo "install-deps: install Node.js 20+ (Debian 12's own nodejs is 18, too old)." >&2
    exit 1
  fi
  major=$(node -p 'process.versions.node.split(".")[0]')
  if [ "$major" -lt 20 ]; then
    echo "install-deps: Node.js $(node --version) is too old: the web interface and the black-box tests need Node.js 20 or newer." >&2
    exit 1
  fi
fi
