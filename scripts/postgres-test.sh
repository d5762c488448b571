#!/usr/bin/env bash
# postgres-test.sh start|stop|env|status
#
# A throwaway PostgreSQL cluster for the store tests, from Debian's packages
# (apt-get install -y postgresql). It listens on 127.0.0.1:55432 only, with
# trust authentication: for local test use, never anything else.
#
#   scripts/postgres-test.sh start
#   eval "$(scripts/postgres-test.sh env)"
#   (cd platform && go test ./store/)
#   scripts/postgres-test.sh stop
#
# PostgreSQL refuses to run as root, so when run as root the server runs as
# the "postgres" user (created by the Debian package).
set -euo pipefail

readonly PGTEST_DIR="${HYBRIDKIT_PG_DIR:-/tmp/hybridkit-pg}"
readonly PGTEST_DATA="$PGTEST_DIR/data"
readonly PGTEST_LOG="$PGTEST_DIR/postgres.log"
readonly PGTEST_HOST=127.0.0.1
readonly PGTEST_PORT="${HYBRIDKIT_PG_PORT:-55432}"
readonly PGTEST_DB=hybridkit_test
readonly PGTEST_USER=postgres

die() {
	echo "postgres-test: $*" >&2
	exit 1
}

# pg_bindir prints the newest /usr/lib/postgresql/*/bin that has initdb.
pg_bindir() {
	local dir best
	# The glob sorts lexically; pick the highest major version numerically.
	best="$(for dir in /usr/lib/postgresql/*/bin; do
		if [[ -x "$dir/initdb" ]]; then echo "$dir"; fi
	done | sort -t/ -k5,5n | tail -n1)"
	[[ -n "$best" ]] || die "no PostgreSQL server under /usr/lib/postgresql/*/bin; install it with: apt-get install -y postgresql"
	echo "$best"
}

# as_pg runs a command as the cluster owner.
as_pg() {
	if [[ "$(id -u)" -eq 0 ]]; then
		runuser -u "$PGTEST_USER" -- "$@"
	else
		"$@"
	fi
}

dsn() {
	echo "postgres://$PGTEST_USER@$PGTEST_HOST:$PGTEST_PORT/$PGTEST_DB?sslmode=disable"
}

is_running() {
	[[ -f "$PGTEST_DATA/postmaster.pid" ]] && as_pg "$1/pg_ctl" -D "$PGTEST_DATA" status >/dev/null 2>&1
}

cmd_start() {
	local bin
	bin="$(pg_bindir)"
	if [[ "$(id -u)" -eq 0 ]]; then
		id -u "$PGTEST_USER" >/dev/null 2>&1 || die "user $PGTEST_USER does not exist (the postgresql package creates it)"
	fi
	if is_running "$bin"; then
		echo "postgres-test: already running on $PGTEST_HOST:$PGTEST_PORT" >&2
		return 0
	fi

	mkdir -p "$PGTEST_DIR"
	if [[ "$(id -u)" -eq 0 ]]; then
		chown "$PGTEST_USER": "$PGTEST_DIR"
	fi
	chmod 0700 "$PGTEST_DIR"

	if [[ ! -f "$PGTEST_DATA/PG_VERSION" ]]; then
		as_pg "$bin/initdb" -D "$PGTEST_DATA" -U "$PGTEST_USER" \
			--auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$PGTEST_DIR/initdb.log" 2>&1 ||
			die "initdb failed; see $PGTEST_DIR/initdb.log"
	fi

	# The socket goes into the data directory's parent, not /var/run/postgresql,
	# so no system directories are needed. fsync stays on: the store tests
	# check durability settings, not raw speed.
	as_pg "$bin/pg_ctl" -D "$PGTEST_DATA" -l "$PGTEST_LOG" -w -t 60 \
		-o "-c listen_addresses=$PGTEST_HOST -p $PGTEST_PORT -c unix_socket_directories=$PGTEST_DIR -c max_connections=200" \
		start >/dev/null || die "pg_ctl start failed; see $PGTEST_LOG"

	local i
	for i in $(seq 1 60); do
		if as_pg "$bin/pg_isready" -q -h "$PGTEST_HOST" -p "$PGTEST_PORT" -U "$PGTEST_USER"; then
			break
		fi
		[[ "$i" -eq 60 ]] && die "server did not become ready; see $PGTEST_LOG"
		sleep 1
	done

	if [[ "$(as_pg "$bin/psql" -h "$PGTEST_HOST" -p "$PGTEST_PORT" -U "$PGTEST_USER" -d postgres -Atc \
		"SELECT 1 FROM pg_database WHERE datname = '$PGTEST_DB'")" != 1 ]]; then
		as_pg "$bin/createdb" -h "$PGTEST_HOST" -p "$PGTEST_PORT" -U "$PGTEST_USER" "$PGTEST_DB"
	fi
	echo "postgres-test: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') ready on $PGTEST_HOST:$PGTEST_PORT (data $PGTEST_DATA)" >&2
}

cmd_stop() {
	local bin
	bin="$(pg_bindir)"
	if is_running "$bin"; then
		as_pg "$bin/pg_ctl" -D "$PGTEST_DATA" -m fast -w -t 60 stop >/dev/null
	fi
	rm -rf "$PGTEST_DIR"
	echo "postgres-test: stopped and removed $PGTEST_DIR" >&2
}

cmd_status() {
	local bin
	bin="$(pg_bindir)"
	if is_running "$bin"; then
		echo "running: $(dsn)"
	else
		echo "not running"
		return 1
	fi
}

case "${1:-}" in
start) cmd_start ;;
stop) cmd_stop ;;
env) echo "export HYBRIDKIT_TEST_POSTGRES_DSN=$(dsn)" ;;
status) cmd_status ;;
*)
	echo "usage: $0 start|stop|env|status" >&2
	exit 2
	;;
esac
