# shellcheck shell=bash disable=SC2119,SC2034  # ok() without a detail is intended; env-file.sh reads what this sets
# Step: PostgreSQL. With a DATABASE_URL in the environment (one a previous run did not write), that
# server is used and <db>_test created on it when allowed. Otherwise a local cluster in
# $DATA_DIR/postgres, run by the `postgres` user on 127.0.0.1:$PG_PORT (default 54329, a custom port
# sticks across runs), with role `sandbox` (generated password) and databases sandbox, sandbox_test.
# Sets: DATABASE_URL, TEST_DATABASE_URL, STACK_PG (local | external).

# shellcheck disable=SC2153  # DATA_DIR comes from scripts/lib/common.sh
PGDATA_DIR="$DATA_DIR/postgres"
PG_SOCKET_DIR="$RUN_DIR/pg"
PG_PASSWORD_FILE="$DATA_DIR/postgres.password"

postgres_up() {
  if uses_external_server STACK_PG DATABASE_URL PG_PORT 54329; then
    STACK_PG=external
    postgres_external
  else
    STACK_PG=local
    unset DATABASE_URL TEST_DATABASE_URL
    postgres_local
  fi
}

postgres_external() {
  step "postgres (external DATABASE_URL)"
  if command -v pg_isready >/dev/null 2>&1; then
    wait_for -t 10 pg_isready -q -d "$DATABASE_URL" || die "DATABASE_URL does not answer pg_isready"
  else
    wait_for -t 10 psql "$DATABASE_URL" -Atqc 'select 1' || die "DATABASE_URL does not accept connections"
  fi
  if [[ -z "${TEST_DATABASE_URL:-}" ]]; then
    # Same server, database <name>_test; created if we are allowed to.
    local base="${DATABASE_URL%%\?*}" query="" dbname
    [[ "$DATABASE_URL" == *\?* ]] && query="?${DATABASE_URL#*\?}"
    dbname="${base##*/}"
    TEST_DATABASE_URL="${base%/*}/${dbname}_test${query}"
    if ! psql "$TEST_DATABASE_URL" -Atqc 'select 1' >/dev/null 2>&1; then
      psql "$DATABASE_URL" -Atqc "CREATE DATABASE \"${dbname}_test\"" >>"$LOG_DIR/postgres-setup.log" 2>&1 \
        || warn "could not create ${dbname}_test on the external server; set TEST_DATABASE_URL"
    fi
  fi
  ok
}

postgres_local() {
  step "postgres 127.0.0.1:$PG_PORT"
  local pgbin password
  if ! pgbin="$(find_pg_bin)"; then
    printf 'installing postgresql ... '
    apt_install "PostgreSQL" postgresql
    pgbin="$(find_pg_bin)" || die "postgresql installed but initdb not found under /usr/lib/postgresql"
  fi
  if is_root; then
    getent passwd postgres >/dev/null || die "no 'postgres' system user to run PostgreSQL as (install the postgresql package)"
    # The postgres user must be able to traverse to the data dir.
    chmod a+x "$DATA_DIR"
    runuser -u postgres -- test -x "$DATA_DIR" \
      || die "user 'postgres' cannot traverse to $DATA_DIR: make its parent directories world-executable (chmod o+x) or set DATA_DIR elsewhere"
  fi
  mkdir -p "$PG_SOCKET_DIR"
  touch "$LOG_DIR/postgres.log"
  if is_root; then chown postgres: "$PG_SOCKET_DIR" "$LOG_DIR/postgres.log"; fi
  chmod 700 "$PG_SOCKET_DIR"

  if [[ -s "$PG_PASSWORD_FILE" ]]; then
    password="$(cat "$PG_PASSWORD_FILE")"
  else
    password="$(random_hex 16)"
    (umask 077; printf '%s\n' "$password" >"$PG_PASSWORD_FILE")
  fi

  if [[ ! -s "$PGDATA_DIR/PG_VERSION" ]]; then
    printf 'initdb ... '
    mkdir -p "$PGDATA_DIR"
    if is_root; then chown postgres: "$PGDATA_DIR"; fi
    chmod 700 "$PGDATA_DIR"
    # Unix socket: trust (the socket dir is private to the owner). TCP: password (scram).
    as_pg "$pgbin/initdb" -D "$PGDATA_DIR" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
      -E UTF8 --locale=C.UTF-8 >>"$LOG_DIR/postgres-setup.log" 2>&1 \
      || as_pg "$pgbin/initdb" -D "$PGDATA_DIR" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
        -E UTF8 --no-locale >>"$LOG_DIR/postgres-setup.log" 2>&1 \
      || die "initdb failed (see $LOG_DIR/postgres-setup.log)"
  fi

  if ! as_pg "$pgbin/pg_ctl" -D "$PGDATA_DIR" status >/dev/null 2>&1; then
    if port_in_use "$PG_PORT"; then
      die "port $PG_PORT is taken by another process; set PG_PORT=<free port> or DATABASE_URL"
    fi
    printf 'starting ... '
    as_pg "$pgbin/pg_ctl" -D "$PGDATA_DIR" -l "$LOG_DIR/postgres.log" -w -t 60 \
      -o "-h 127.0.0.1 -p $PG_PORT -k $PG_SOCKET_DIR -c max_connections=200" start \
      >>"$LOG_DIR/postgres-setup.log" 2>&1 || die "pg_ctl start failed (see $LOG_DIR/postgres.log)"
  fi
  wait_for -t 30 "$pgbin/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" \
    || die "postgres on 127.0.0.1:$PG_PORT not ready (see $LOG_DIR/postgres.log)"

  postgres_role_and_databases "$password"
  DATABASE_URL="postgresql://sandbox:${password}@127.0.0.1:${PG_PORT}/sandbox"
  TEST_DATABASE_URL="postgresql://sandbox:${password}@127.0.0.1:${PG_PORT}/sandbox_test"
  ok
}

psql_admin() { as_pg psql -X -v ON_ERROR_STOP=1 -h "$PG_SOCKET_DIR" -p "$PG_PORT" -U postgres -d postgres -Atq "$@"; }

# Role `sandbox` with PASSWORD and its two databases (idempotent; one round trip when all exist).
postgres_role_and_databases() {
  local password="$1" have stamp
  stamp="$(printf '%s' "$password" | sha256sum | cut -c1-16)"
  have="$(psql_admin -c "select
      (select count(*) from pg_roles where rolname='sandbox')::text || ',' ||
      (select count(*) from pg_database where datname in ('sandbox','sandbox_test'))::text")"
  if [[ "$have" == "1,2" && "$(cat "$PGDATA_DIR/.sandbox-password-set" 2>/dev/null)" == "$stamp" ]]; then
    return 0
  fi
  psql_admin >>"$LOG_DIR/postgres-setup.log" 2>&1 <<SQL || die "creating role/databases failed (see $LOG_DIR/postgres-setup.log)"
SELECT 'CREATE ROLE sandbox LOGIN CREATEDB' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname='sandbox')\gexec
ALTER ROLE sandbox WITH LOGIN CREATEDB PASSWORD '$password';
SELECT 'CREATE DATABASE sandbox OWNER sandbox' WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname='sandbox')\gexec
SELECT 'CREATE DATABASE sandbox_test OWNER sandbox' WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname='sandbox_test')\gexec
SQL
  printf '%s\n' "$stamp" >"$PGDATA_DIR/.sandbox-password-set"
}
