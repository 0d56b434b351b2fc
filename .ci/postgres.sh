#!/usr/bin/env bash
# A local PostgreSQL for the review server's tests: installs Debian's `postgresql` when it is missing,
# starts a cluster, makes sure the role and database `zizhu` exist, and prints the DATABASE_URL —
# the only thing this script writes to stdout (everything else goes to stderr). Idempotent: run it
# as often as you like. Needs root (or sudo) for apt-get and to act as the `postgres` user.
#
#   export DATABASE_URL="$(.ci/postgres.sh)"
#
# The role may create databases: the test suite creates a fresh database per run and drops it.
set -euo pipefail
exec 3>&1 1>&2  # keep stdout clean: fd 3 is the real stdout, for the URL only

ROLE="${ZIZHU_PG_ROLE:-zizhu}"
PASSWORD="${ZIZHU_PG_PASSWORD:-zizhu}"
DATABASE="${ZIZHU_PG_DATABASE:-zizhu}"

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo -n "$@"; fi
}

# A mirror that hiccups once must not fail the whole run: apt is tried three times.
apt_retry() {
    for attempt in 1 2 3; do
        if as_root env DEBIAN_FRONTEND=noninteractive apt-get "$@"; then return 0; fi
        echo "apt-get $1 failed (attempt $attempt of 3)" >&2
        sleep $((attempt * 5))
    done
    return 1
}

as_postgres() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else sudo -n -u postgres "$@"; fi
}

have_server() {
    command -v pg_ctlcluster >/dev/null 2>&1 && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1
}

if ! have_server; then
    echo "postgres.sh: installing Debian's postgresql" >&2
    apt_retry update -qq
    apt_retry install -y -qq postgresql
fi

# The first cluster listed (Debian creates 15/main on install); create one when there is none.
cluster="$(pg_lsclusters -h 2>/dev/null | head -n 1 || true)"
if [ -z "$cluster" ]; then
    version="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"
    as_root pg_createcluster "$version" main
    cluster="$(pg_lsclusters -h | head -n 1)"
fi
read -r version name port status _rest <<<"$cluster"
if [ "$status" != "online" ]; then
    # The server outlives this script: it must not inherit fd 3 or the caller's stdout/stderr, or a
    # caller that reads them to the end (subprocess.run(capture_output=True)) waits forever.
    as_root pg_ctlcluster "$version" "$name" start </dev/null >/dev/null 2>&1 3>&- ||
        { echo "postgres.sh: pg_ctlcluster $version $name start failed" >&2; exit 1; }
fi

# Wait until the server accepts connections (start returns before it always does).
for _ in $(seq 1 50); do
    if as_postgres psql -p "$port" -Atqc "SELECT 1" >/dev/null 2>&1; then break; fi
    sleep 0.2
done

psql_admin() {
    as_postgres psql -p "$port" -v ON_ERROR_STOP=1 -Atq "$@"
}

if [ "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = '$ROLE'")" != "1" ]; then
    psql_admin -c "CREATE ROLE \"$ROLE\" LOGIN CREATEDB PASSWORD '$PASSWORD'"
else
    psql_admin -c "ALTER ROLE \"$ROLE\" LOGIN CREATEDB PASSWORD '$PASSWORD'"
fi
if [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$DATABASE'")" != "1" ]; then
    psql_admin -c "CREATE DATABASE \"$DATABASE\" OWNER \"$ROLE\" ENCODING 'UTF8' TEMPLATE template0"
fi

echo "postgresql://$ROLE:$PASSWORD@127.0.0.1:$port/$DATABASE" >&3
