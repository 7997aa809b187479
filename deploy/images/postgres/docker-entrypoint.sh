#!/usr/bin/env bash
# Entrypoint of bootswarm/postgres-local: the official postgres image's contract on Debian's
# PostgreSQL 15.
#   POSTGRES_PASSWORD (or POSTGRES_PASSWORD_FILE)  the superuser's password; required on first start
#                                                  unless POSTGRES_HOST_AUTH_METHOD=trust
#   POSTGRES_USER (default postgres)               the superuser initdb creates
#   POSTGRES_DB   (default $POSTGRES_USER)         the database created on first start
#   PGDATA        (default /var/lib/postgresql/data)
#   POSTGRES_INITDB_ARGS                           extra initdb arguments
#   POSTGRES_HOST_AUTH_METHOD (default scram-sha-256) for TCP connections from anywhere
#   /docker-entrypoint-initdb.d/*.sql|*.sql.gz|*.sh run once, after the first initdb
# Each of POSTGRES_USER/_DB/_INITDB_ARGS also has a _FILE form. An empty PGDATA is initialised once;
# a PGDATA with PG_VERSION is used as it is (so a volume keeps the data across re-creations).
set -Eeuo pipefail

# VAR_FILE=/path sets VAR from that file (Docker/Compose secrets)
file_env() {
  local var="$1" file_var="${1}_FILE" default="${2:-}"
  if [ -n "${!var:-}" ] && [ -n "${!file_var:-}" ]; then
    echo "error: both $var and $file_var are set (but are exclusive)" >&2
    exit 1
  fi
  local value="$default"
  if [ -n "${!var:-}" ]; then
    value="${!var}"
  elif [ -n "${!file_var:-}" ]; then
    value="$(< "${!file_var}")"
  fi
  export "$var"="$value"
  unset "$file_var"
}

# "docker run IMAGE -c foo=bar" means "postgres -c foo=bar"
if [ "${1:0:1}" = '-' ]; then
  set -- postgres "$@"
fi

if [ "$1" != 'postgres' ]; then
  exec "$@"
fi

export PGDATA="${PGDATA:-/var/lib/postgresql/data}"

# Started as root (docker run --user 0, or a bind mount owned by someone else): fix the ownership
# of the data directory, then go on as postgres.
if [ "$(id -u)" = '0' ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chown postgres:postgres "$PGDATA" /var/run/postgresql
  chmod 0700 "$PGDATA"
  exec setpriv --reuid=postgres --regid=postgres --init-groups "${BASH_SOURCE[0]}" "$@"
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  file_env POSTGRES_PASSWORD
  file_env POSTGRES_USER postgres
  file_env POSTGRES_DB "$POSTGRES_USER"
  file_env POSTGRES_INITDB_ARGS
  auth="${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}"

  if [ -z "$POSTGRES_PASSWORD" ] && [ "$auth" != 'trust' ]; then
    cat >&2 <<'EOF'
Error: the database is uninitialized and the superuser password is not specified.
       Set POSTGRES_PASSWORD (or POSTGRES_PASSWORD_FILE) to a non-empty value for the
       superuser, e.g. "-e POSTGRES_PASSWORD=password" on "docker run".

       POSTGRES_HOST_AUTH_METHOD=trust instead lets everyone connect without a password,
       which is NOT recommended: only for throw-away test databases.
EOF
    exit 1
  fi

  mkdir -p "$PGDATA"
  chmod 0700 "$PGDATA" || true
  echo "initializing the database cluster in $PGDATA (superuser $POSTGRES_USER, database $POSTGRES_DB)"
  pwargs=()
  if [ -n "$POSTGRES_PASSWORD" ]; then
    pwfile="$(mktemp)"
    printf '%s\n' "$POSTGRES_PASSWORD" > "$pwfile"
    pwargs=(--pwfile="$pwfile")
  fi
  # shellcheck disable=SC2086  # POSTGRES_INITDB_ARGS is a word list, as in the official image
  initdb --username="$POSTGRES_USER" "${pwargs[@]}" --encoding=UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host="$auth" $POSTGRES_INITDB_ARGS
  [ -z "${pwfile:-}" ] || rm -f "$pwfile"

  # TCP from any address with the password (scram-sha-256 is PostgreSQL 15's password_encryption);
  # over the Unix socket, inside the container only, without
  {
    echo
    echo "host all all all $auth"
  } >> "$PGDATA/pg_hba.conf"
  # this image leaves out the LLVM JIT provider
  printf '%s\n' "listen_addresses = '*'" 'jit = off' >> "$PGDATA/postgresql.conf"

  # a server for this container only (no TCP) to create the database and run the init scripts
  pg_ctl -D "$PGDATA" -w -o "-c listen_addresses='' -p 5432" start
  psql_cmd=(psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --no-password)
  if [ "$POSTGRES_DB" != 'postgres' ]; then
    "${psql_cmd[@]}" --dbname postgres --set db="$POSTGRES_DB" <<'EOSQL'
CREATE DATABASE :"db";
EOSQL
  fi
  shopt -s nullglob
  for f in /docker-entrypoint-initdb.d/*; do
    case "$f" in
      *.sh)
        # shellcheck source=/dev/null
        if [ -x "$f" ]; then echo "running $f"; "$f"; else echo "sourcing $f"; . "$f"; fi ;;
      *.sql) echo "running $f"; "${psql_cmd[@]}" --dbname "$POSTGRES_DB" -f "$f" ;;
      *.sql.gz) echo "running $f"; gunzip -c "$f" | "${psql_cmd[@]}" --dbname "$POSTGRES_DB" ;;
      *) echo "ignoring $f" ;;
    esac
  done
  pg_ctl -D "$PGDATA" -m fast -w stop
  unset POSTGRES_PASSWORD
  echo "PostgreSQL init process complete; ready for start up."
else
  echo "PostgreSQL database directory $PGDATA already holds a cluster; skipping initialization"
fi

exec "$@"
