#!/usr/bin/env bash
# Make sure PostgreSQL and Redis answer on localhost: start them if installed but down, install them with
# apt-get when absent and we are root, otherwise say exactly what to install.
set -euo pipefail

pg_up() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null || (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; }
redis_up() { (exec 3<>/dev/tcp/127.0.0.1/6379 && printf 'PING\r\n' >&3 && read -r -t 2 line <&3 && [[ $line == +PONG* ]]) 2>/dev/null; }
as_root() { [ "$(id -u)" = 0 ]; }
apt_install() {
  if as_root && command -v apt-get >/dev/null; then
    echo "Installing $* with apt-get…"
    (apt-get install -y -q "$@" >/dev/null 2>&1) || { apt-get update -q >/dev/null && apt-get install -y -q "$@" >/dev/null; }
  else
    echo "Please install: $* (e.g. sudo apt-get install $*), then run make test again." >&2
    exit 1
  fi
}

if ! pg_up; then
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then apt_install postgresql; fi
  ver=$(ls /etc/postgresql | sort -V | tail -1)
  echo "Starting PostgreSQL $ver…"
  if as_root; then pg_ctlcluster --skip-systemctl-redirect "$ver" main start || true
  else pg_ctlcluster "$ver" main start || true; fi
  for _ in $(seq 1 30); do pg_up && break; sleep 1; done
  pg_up || { echo "PostgreSQL did not start on 127.0.0.1:5432" >&2; exit 1; }
fi

# Local trust for the test role (the default Debian cluster uses peer auth for the socket only).
if ! psql -h 127.0.0.1 -U postgres -d postgres -Atc 'select 1' >/dev/null 2>&1; then
  if as_root; then
    hba=$(ls /etc/postgresql/*/main/pg_hba.conf | tail -1)
    grep -q 'quota-portal' "$hba" || sed -i '1i host all postgres 127.0.0.1/32 trust # quota-portal tests' "$hba"
    su postgres -c "psql -Atc 'select pg_reload_conf()'" >/dev/null
  else
    echo "Cannot connect as postgres@127.0.0.1 without a password; set TEST_DATABASE_URL." >&2; exit 1
  fi
fi

if ! redis_up; then
  command -v redis-server >/dev/null || apt_install redis-server
  echo "Starting Redis…"
  mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --dir "$( [ -w /var/lib/redis ] && echo /var/lib/redis || echo /tmp)" --logfile "" >/dev/null
  for _ in $(seq 1 20); do redis_up && break; sleep 0.5; done
  redis_up || { echo "Redis did not start on 127.0.0.1:6379" >&2; exit 1; }
fi
bash "$(dirname "$0")/ensure_replication.sh" || echo "(replication not enabled: the read-replica integration test will be skipped)"
echo "PostgreSQL and Redis are up."
