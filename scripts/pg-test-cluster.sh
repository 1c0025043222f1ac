#!/bin/sh
# pg-test-cluster.sh: a throwaway PostgreSQL cluster for integration tests.
#
#   pg-test-cluster.sh start DIR PORT   create (first time) and start a cluster in DIR;
#                                       prints its DSN on stdout
#   pg-test-cluster.sh stop DIR         stop it (DIR is left for the caller to delete)
#
# The cluster listens only on 127.0.0.1:PORT and on a unix socket inside DIR,
# with trust authentication and durability turned off: it is for tests only.
# It uses Debian's server binaries (apt-get install postgresql). initdb refuses
# to run as root, so as root the cluster is owned by the "postgres" OS user.
set -eu

die() { echo "pg-test-cluster: $*" >&2; exit 1; }

bindir() {
	# Highest installed major version wins: Debian may keep several.
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -n -r); do
		if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then echo "$d"; return; fi
	done
	die "no PostgreSQL server binaries in /usr/lib/postgresql/*/bin: apt-get install postgresql"
}

# as runs a command as the cluster owner.
as() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

cmd=${1:-}
case "$cmd" in
start)
	[ $# -eq 3 ] || die "usage: $0 start DIR PORT"
	dir=$2 port=$3
	case "$port" in ''|*[!0-9]*) die "PORT must be a number, got '$port'";; esac
	bin=$(bindir)
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	if [ "$(id -u)" = 0 ]; then
		id postgres >/dev/null 2>&1 || die "running as root needs the postgres OS user (apt-get install postgresql)"
		chown postgres "$dir"
		as test -w "$dir" || die "user postgres cannot reach $dir (a parent directory is not searchable)"
	fi
	if [ ! -f "$dir/data/PG_VERSION" ]; then
		as "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-locale --no-sync >"$dir/initdb.log" 2>&1 \
			|| { cat "$dir/initdb.log" >&2; die "initdb failed"; }
	fi
	echo "$port" >"$dir/port"
	[ "$(id -u)" = 0 ] && chown postgres "$dir/port"
	as "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
		-o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
		start >/dev/null 2>&1 || { cat "$dir/server.log" >&2; die "pg_ctl start failed"; }
	echo "postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
	;;
stop)
	[ $# -eq 2 ] || die "usage: $0 stop DIR"
	dir=$2
	bin=$(bindir)
	[ -f "$dir/data/PG_VERSION" ] || die "no cluster in $dir"
	as "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null 2>&1 || die "pg_ctl stop failed (see $dir/server.log)"
	;;
*)
	die "usage: $0 start DIR PORT | stop DIR"
	;;
esac
