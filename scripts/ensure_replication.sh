#!/usr/bin/env bash
# Let the local PostgreSQL (127.0.0.1:5432) serve a streaming standby, for the read-replica integration test
# (tests/integration/test_replica.py): wal_level replica and WAL senders (PostgreSQL's defaults), and a pg_hba
# line allowing replication connections from 127.0.0.1. Idempotent: changes only what is missing, and only as
# root (otherwise it says what to change and exits 1).
set -euo pipefail
PGHOST=${PGHOST:-127.0.0.1}; PGPORT=${PGPORT:-5432}; PGUSER=${PGUSER:-postgres}
export PGHOST PGPORT PGUSER
q() { psql -d postgres -Atc "$1"; }
as_root() { [ "$(id -u)" = 0 ]; }

wal_level=$(q "show wal_level"); senders=$(q "show max_wal_senders")
if [ "$wal_level" = minimal ] || [ "$senders" = 0 ]; then
  as_root || { echo "Set wal_level = replica and max_wal_senders >= 2 in postgresql.conf and restart PostgreSQL." >&2; exit 1; }
  q "alter system set wal_level = replica" >/dev/null; q "alter system set max_wal_senders = 10" >/dev/null
  ver=$(q "show server_version_num" | cut -c1-2)
  echo "Restarting PostgreSQL $ver for wal_level=replica…"
  pg_ctlcluster --skip-systemctl-redirect "$ver" main restart
  for _ in $(seq 1 30); do pg_isready -q && break; sleep 1; done
fi

if ! psql "host=$PGHOST port=$PGPORT user=$PGUSER replication=true" -Atc "IDENTIFY_SYSTEM" >/dev/null 2>&1; then
  as_root || { echo "Add 'host replication all 127.0.0.1/32 trust' to pg_hba.conf and reload PostgreSQL." >&2; exit 1; }
  hba=$(q "show hba_file")
  grep -q 'quota-portal replica' "$hba" || sed -i '1i host replication all 127.0.0.1/32 trust # quota-portal replica test' "$hba"
  q "select pg_reload_conf()" >/dev/null
  sleep 0.5
  psql "host=$PGHOST port=$PGPORT user=$PGUSER replication=true" -Atc "IDENTIFY_SYSTEM" >/dev/null
  echo "Replication connections from 127.0.0.1 allowed."
fi
