#!/usr/bin/env bash
# A throw-away PostgreSQL cluster for the tests, in a folder of its own, on 127.0.0.1 only.
#
#   scripts/pg-cluster.sh start DIR          create (first time) and start the cluster in DIR;
#                                            prints its URL and saves it in DIR/url:
#                                            postgresql://waiver:PASSWORD@127.0.0.1:PORT/postgres
#   scripts/pg-cluster.sh createdb DIR NAME  prints the URL of a new, empty database NAME
#                                            (an existing NAME is dropped and made again)
#   scripts/pg-cluster.sh dropdb DIR NAME    drops database NAME (quiet if it is not there)
#   scripts/pg-cluster.sh stop DIR           stops the cluster (fast) and removes DIR
#   scripts/pg-cluster.sh restart DIR        stops (fast) and starts it again: same port and URL
#
# The superuser is `waiver` with a generated password (SCRAM-SHA-256, over TCP and the socket);
# the socket lives in DIR itself, the port is a free one picked at each start. The cluster is made
# for tests: UTF8 with the C locale (byte order, like SQLite's BINARY collation) and fsync=off
# (a stopped or killed server loses nothing; only a crash of the machine would).
#
# PostgreSQL refuses to run as root. Run as root, the script makes DIR the `postgres` user's and
# runs initdb/pg_ctl as that user (runuser); run as anyone else, it runs them as that user.
# Idempotent: start on a running cluster prints its URL; stop on a missing DIR does nothing.
# Quiet on success (only the URL on stdout); on failure it says why on stderr and exits non-zero.
# PG_BIN overrides the folder of initdb/pg_ctl (default: the newest /usr/lib/postgresql/*/bin).
set -euo pipefail

me=pg-cluster
die() {
  echo "$me: $*" >&2
  exit 1
}
usage() {
  sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

MARKER=.waiver-pg-cluster  # present in every DIR this script made; `stop` removes nothing else
SUPERUSER=waiver

pg_bin() {
  if [ -n "${PG_BIN:-}" ]; then
    [ -x "$PG_BIN/initdb" ] || die "PG_BIN=$PG_BIN has no initdb"
    echo "$PG_BIN"
    return
  fi
  local b
  b=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -z "$b" ] || [ ! -x "$b/initdb" ]; then
    die "PostgreSQL's server is not installed (no /usr/lib/postgresql/*/bin/initdb): run scripts/install-deps.sh as root (Debian packages postgresql, postgresql-client)"
  fi
  echo "$b"
}

need_psql() {
  command -v psql >/dev/null 2>&1 ||
    die "psql is not installed: run scripts/install-deps.sh as root (Debian package postgresql-client)"
}

# Runs a command as the user that owns the cluster: `postgres` when we are root, else ourselves.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

abs_dir() {
  # The folder need not exist yet; its parent must.
  local d=$1 parent
  [ -n "$d" ] || die "DIR is empty"
  parent=$(dirname -- "$d")
  [ -d "$parent" ] || die "$parent does not exist (the parent of DIR must)"
  parent=$(cd -- "$parent" && pwd -P)
  echo "${parent%/}/$(basename -- "$d")"
}

# A port nobody listens on, below the kernel's ephemeral range (so no outgoing connection takes it
# in the meantime). A race with another program remains: start retries on "could not bind".
free_port() {
  local p _
  for _ in $(seq 1 200); do
    p=$((15000 + RANDOM % 17000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return
    fi
  done
  die "found no free TCP port on 127.0.0.1 between 15000 and 31999"
}

is_running() {
  # pg_ctl status: 0 running, 3 not running, 4 no data folder.
  as_owner "$BIN/pg_ctl" status -D "$DIR/data" >/dev/null 2>&1
}

read_url() {
  [ -f "$DIR/url" ] || die "$DIR is not a started cluster (no $DIR/url): run '$0 start $DIR' first"
  cat "$DIR/url"
}

show_log() {
  if [ -f "$DIR/server.log" ]; then
    echo "$me: last lines of $DIR/server.log:" >&2
    tail -n 20 "$DIR/server.log" | sed 's/^/  | /' >&2
  fi
}

cmd_start() {
  BIN=$(pg_bin)
  need_psql
  local root=0 password port url tries out
  [ "$(id -u)" -eq 0 ] && root=1
  if [ $root -eq 1 ]; then
    id postgres >/dev/null 2>&1 || die "running as root, but there is no 'postgres' user to run the server as (install the Debian package postgresql)"
    command -v runuser >/dev/null 2>&1 || die "running as root needs runuser (Debian package util-linux) to become 'postgres'"
  fi

  if [ -e "$DIR" ] && [ ! -d "$DIR" ]; then
    die "$DIR exists and is not a folder"
  fi
  if [ -d "$DIR" ] && [ ! -e "$DIR/$MARKER" ] && [ -n "$(ls -A "$DIR")" ]; then
    die "$DIR is not empty and is not a cluster made by this script: give an empty or new folder"
  fi
  local created=0
  [ -d "$DIR" ] || created=1
  mkdir -p "$DIR"
  chmod 700 "$DIR"
  if [ $root -eq 1 ]; then
    chown postgres:postgres "$DIR"
    if ! runuser -u postgres -- test -w "$DIR"; then
      [ $created -eq 1 ] && rmdir "$DIR"
      die "the 'postgres' user cannot reach $DIR (a parent folder is closed to it): use a folder under /tmp, e.g. \$(mktemp -d)"
    fi
  fi
  touch "$DIR/$MARKER"

  if [ -f "$DIR/data/PG_VERSION" ] && is_running && [ -f "$DIR/url" ]; then
    url=$(cat "$DIR/url")
    "$BIN/pg_isready" -q -h 127.0.0.1 -p "$(cat "$DIR/port")" -t 10 ||
      die "the cluster in $DIR is running but does not answer on 127.0.0.1:$(cat "$DIR/port")"
    echo "$url"
    return
  fi

  if [ ! -f "$DIR/data/PG_VERSION" ]; then
    rm -rf "$DIR/data"
    password=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
    [ ${#password} -eq 32 ] || die "could not generate a password from /dev/urandom"
    (umask 077 && printf '%s\n' "$password" >"$DIR/password")
    [ $root -eq 1 ] && chown postgres:postgres "$DIR/password"
    # initdb reads the password from a file; the data folder is created 0700 by initdb.
    if ! out=$(as_owner "$BIN/initdb" -D "$DIR/data" -U "$SUPERUSER" --pwfile="$DIR/password" \
      --auth-local=scram-sha-256 --auth-host=scram-sha-256 -E UTF8 --locale=C --no-instructions 2>&1); then
      echo "$out" | sed 's/^/  | /' >&2
      rm -rf "$DIR/data"
      die "initdb failed in $DIR/data (output above)"
    fi
    # Only loopback, the socket in DIR, settings for a throw-away test cluster.
    as_owner tee -a "$DIR/data/postgresql.conf" >/dev/null <<EOF

# scripts/pg-cluster.sh: a throw-away cluster for tests
listen_addresses = '127.0.0.1'
unix_socket_directories = '$DIR'
max_connections = 200
fsync = off
logging_collector = off
EOF
  fi
  [ -f "$DIR/password" ] || die "$DIR/password is missing: the cluster's password is lost; stop it ('$0 stop $DIR') and start a new one"
  password=$(cat "$DIR/password")

  # Start on a free port; another program may take the port in between: try again on another.
  local logged
  for tries in 1 2 3 4 5; do
    port=$(free_port)
    logged=$(stat -c %s "$DIR/server.log" 2>/dev/null || echo 0)
    if as_owner "$BIN/pg_ctl" start -D "$DIR/data" -l "$DIR/server.log" -w -t 60 -s -o "-p $port" >/dev/null 2>&1; then
      break
    fi
    if tail -c +"$((logged + 1))" "$DIR/server.log" 2>/dev/null | grep -q 'could not bind\|Address already in use' &&
      [ "$tries" -lt 5 ]; then
      as_owner "$BIN/pg_ctl" stop -D "$DIR/data" -m immediate -s >/dev/null 2>&1 || true
      continue
    fi
    show_log
    die "the server in $DIR did not start (port $port)"
  done

  url="postgresql://$SUPERUSER:$password@127.0.0.1:$port/postgres"
  # Ready means: a password login over TCP answers a query.
  if ! out=$(PGCONNECT_TIMEOUT=10 psql "$url" -X -q -At -v ON_ERROR_STOP=1 -c 'SELECT 1' 2>&1) || [ "$out" != 1 ]; then
    echo "  | $out" >&2
    show_log
    die "the server in $DIR started but a login as $SUPERUSER on 127.0.0.1:$port failed"
  fi
  echo "$port" >"$DIR/port"
  (umask 077 && printf '%s\n' "$url" >"$DIR/url.tmp" && mv "$DIR/url.tmp" "$DIR/url")
  echo "$url"
}

cmd_stop() {
  if [ ! -e "$DIR" ]; then
    return 0
  fi
  [ -e "$DIR/$MARKER" ] || die "$DIR was not made by this script (no $MARKER): not stopping or removing anything"
  if [ -f "$DIR/data/PG_VERSION" ]; then
    BIN=$(pg_bin)
    if is_running; then
      local out
      if ! out=$(as_owner "$BIN/pg_ctl" stop -D "$DIR/data" -m fast -w -t 60 -s 2>&1); then
        echo "$out" | sed 's/^/  | /' >&2
        show_log
        die "could not stop the server in $DIR (left in place)"
      fi
    fi
  fi
  rm -rf -- "$DIR"
}

# For tests of a database restart: same port, same URL; the server's connections are cut.
cmd_restart() {
  BIN=$(pg_bin)
  read_url >/dev/null
  local out
  if ! out=$(as_owner "$BIN/pg_ctl" restart -D "$DIR/data" -m fast -l "$DIR/server.log" -w -t 60 -s 2>&1); then
    echo "$out" | sed 's/^/  | /' >&2
    show_log
    die "could not restart the server in $DIR"
  fi
}

check_name() {
  [[ $1 =~ ^[a-z_][a-z0-9_]{0,62}$ ]] ||
    die "database name '$1': use lower-case letters, digits and _ (at most 63, not starting with a digit)"
  case $1 in postgres | template0 | template1) die "database name '$1' is reserved" ;; esac
}

admin_psql() {
  local url=$1
  shift
  local out
  if ! out=$(PGCONNECT_TIMEOUT=10 psql "$url" -X -q -At -v ON_ERROR_STOP=1 "$@" 2>&1); then
    echo "  | $out" >&2
    return 1
  fi
}

cmd_createdb() {
  need_psql
  local name=$1 url
  check_name "$name"
  url=$(read_url)
  admin_psql "$url" -c "DROP DATABASE IF EXISTS $name WITH (FORCE)" -c "CREATE DATABASE $name" ||
    die "could not create database $name in the cluster of $DIR (is it running? '$0 start $DIR')"
  echo "${url%/postgres}/$name"
}

cmd_dropdb() {
  need_psql
  local name=$1 url
  check_name "$name"
  url=$(read_url)
  admin_psql "$url" -c "DROP DATABASE IF EXISTS $name WITH (FORCE)" ||
    die "could not drop database $name in the cluster of $DIR"
}

[ $# -ge 2 ] || usage
sub=$1
DIR=$(abs_dir "$2")
cd /  # the `postgres` user may not enter the caller's folder; every path below is absolute
case $sub in
  start) [ $# -eq 2 ] || usage; cmd_start ;;
  stop) [ $# -eq 2 ] || usage; cmd_stop ;;
  restart) [ $# -eq 2 ] || usage; cmd_restart ;;
  createdb) [ $# -eq 3 ] || usage; cmd_createdb "$3" ;;
  dropdb) [ $# -eq 3 ] || usage; cmd_dropdb "$3" ;;
  *) usage ;;
esac
