#!/usr/bin/env bash
# docker-compose: run once by the postgres image when it initialises the primary's data directory
# (/docker-entrypoint-initdb.d): let the standby (postgres-replica) connect for streaming replication.
set -e
echo "host replication ${POSTGRES_USER:-postgres} all scram-sha-256" >> "$PGDATA/pg_hba.conf"
