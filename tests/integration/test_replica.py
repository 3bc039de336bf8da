"""Read replica, for real: a PostgreSQL streaming standby of the test cluster is started on this machine
(``pg_basebackup -R`` into a temporary directory as the ``postgres`` OS user, a second ``postgres`` on a free
port, from the installed binaries), the ``replica`` alias points at it, and

- the national dashboard is served from it: the view's connection sees ``pg_is_in_recovery()`` and no
  dashboard query reads the primary;
- a filer sees the report it has just filed even while the standby has not replayed it (replay paused):
  the write pins the filer to the primary for a few seconds (read-your-writes).

``scripts/ensure_replication.sh`` (also run by ``make test``) lets the local primary serve a standby; the test
is skipped where that is impossible (not PostgreSQL, no binaries, not root and replication not allowed).
The standby and its directory are removed at the end.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import psycopg2
import pytest
from django.conf import settings as django_settings
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.test import Client

from organizations.models import Enterprise
from quota_portal import db_router
from reporting.models import MonthlyReport
from tests.reporting.conftest import huamei_payload

from .conftest import wait_for

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True, databases=["default", "replica"])
BASE = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(cmd: list[str], **kw):
    if os.geteuid() == 0:
        pw = pwd.getpwnam("postgres")

        def demote():
            os.setgid(pw.pw_gid)
            os.setuid(pw.pw_uid)

        return subprocess.Popen(cmd, preexec_fn=demote, **kw)
    return subprocess.Popen(cmd, **kw)


def _lsn(conn_params: dict, sql: str) -> int:
    c = psycopg2.connect(**conn_params)
    try:
        with c.cursor() as cur:
            cur.execute(f"SELECT ({sql}) - '0/0'::pg_lsn")
            return int(cur.fetchone()[0] or 0)
    finally:
        c.close()


@pytest.fixture(scope="module")
def standby(django_db_setup, django_db_blocker):
    if connection.vendor != "postgresql":
        pytest.skip("the replica test needs PostgreSQL")
    binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"))
    if not binaries:
        pytest.skip("no PostgreSQL server binaries under /usr/lib/postgresql/*/bin")
    s = connection.settings_dict
    host, port = s.get("HOST") or "127.0.0.1", str(s.get("PORT") or 5432)
    if host not in ("127.0.0.1", "localhost"):
        pytest.skip("the standby is started on this machine: the primary must be local")
    env = {**os.environ, "PGHOST": host, "PGPORT": port, "PGUSER": s.get("USER") or "postgres"}
    ok = subprocess.run(["bash", str(BASE / "scripts/ensure_replication.sh")], env=env, capture_output=True, text=True)
    if ok.returncode != 0:
        pytest.skip(f"the primary cannot serve a standby: {ok.stderr.strip()}")
    with django_db_blocker.unblock():
        with connection.cursor() as cur:
            cur.execute("SHOW server_version_num")
            major = int(cur.fetchone()[0]) // 10000
            # a hot standby needs these at least as high as on its primary
            cur.execute("SELECT name, setting FROM pg_settings WHERE name IN ('max_connections', "
                        "'max_worker_processes', 'max_wal_senders', 'max_prepared_transactions', "
                        "'max_locks_per_transaction')")
            copied = "".join(f"{name} = {value}\n" for name, value in cur.fetchall())
    bindir = Path(f"/usr/lib/postgresql/{major}/bin")
    if not (bindir / "postgres").exists():
        pytest.skip(f"no PostgreSQL {major} binaries")
    tmp = Path(tempfile.mkdtemp(prefix="quota-standby-"))
    data = tmp / "data"
    if os.geteuid() == 0:
        pw = pwd.getpwnam("postgres")
        os.chown(tmp, pw.pw_uid, pw.pw_gid)
    proc = None
    try:
        backup = _as_postgres([str(bindir / "pg_basebackup"), "-h", host, "-p", port, "-U", env["PGUSER"], "-D",
                               str(data), "-R", "-X", "stream", "-c", "fast"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        out, _ = backup.communicate(timeout=600)
        assert backup.returncode == 0, f"pg_basebackup failed:\n{out}"
        # Debian keeps postgresql.conf and pg_hba.conf outside the data directory: give the standby its own.
        (data / "postgresql.conf").write_text(f"hot_standby = on\nshared_buffers = 32MB\nfsync = off\n{copied}")
        (data / "pg_hba.conf").write_text("local all all trust\nhost all all 127.0.0.1/32 trust\n")
        (data / "pg_ident.conf").write_text("")
        sport = _free_port()
        log = tmp / "standby.log"
        if os.geteuid() == 0:
            for p in (data / "postgresql.conf", data / "pg_hba.conf", data / "pg_ident.conf"):
                os.chown(p, pw.pw_uid, pw.pw_gid)
            os.chown(tmp, pw.pw_uid, pw.pw_gid)
        with open(log, "w") as logf:
            if os.geteuid() == 0:
                os.chown(log, pw.pw_uid, pw.pw_gid)
            proc = _as_postgres([str(bindir / "postgres"), "-D", str(data), "-p", str(sport), "-c",
                                 "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={tmp}"],
                                stdout=logf, stderr=subprocess.STDOUT)
        params = {"host": "127.0.0.1", "port": sport, "user": env["PGUSER"], "dbname": s["NAME"]}

        def ready():
            if proc.poll() is not None:
                pytest.fail("the standby exited:\n" + log.read_text()[-3000:])
            try:
                c = psycopg2.connect(connect_timeout=2, **params)
            except psycopg2.OperationalError as exc:
                errors.append(str(exc))
                return False
            try:
                with c.cursor() as cur:
                    cur.execute("SELECT pg_is_in_recovery()")
                    return cur.fetchone()[0]
            finally:
                c.close()

        errors: list[str] = []
        try:
            wait_for(ready, timeout=120, interval=0.5, message="the standby to accept connections")
        except AssertionError:
            pytest.fail(f"the standby did not answer: {errors[-1:]}\n{log.read_text()[-3000:]}")
        yield {"params": params, "primary": {"host": host, "port": port, "user": env["PGUSER"], "dbname": s["NAME"]},
               "log": log}
    finally:
        if proc is not None:
            proc.terminate()  # smart shutdown
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="module")
def replica_alias(standby):
    """settings.DATABASES gains ``replica`` (what REPLICA_DATABASE_URL does) while this module runs; registered
    before the tests' database set-up, which must know every alias a test uses (a mirror of ``default``)."""
    p = standby["params"]
    conf = {**connections.settings[DEFAULT_DB_ALIAS], "HOST": p["host"], "PORT": str(p["port"]), "NAME": p["dbname"],
            "CONN_MAX_AGE": 0, "TEST": {"MIRROR": DEFAULT_DB_ALIAS}}
    saved = django_settings.DATABASES
    django_settings.DATABASES = {**saved, "replica": conf}
    connections.settings["replica"] = conf
    try:
        yield standby
    finally:
        connections["replica"].close()
        del connections.settings["replica"]
        try:
            del connections._connections.replica
        except AttributeError:
            pass
        django_settings.DATABASES = saved


def _caught_up(standby) -> None:
    """Wait until the standby has replayed everything the primary has written so far."""
    target = _lsn(standby["primary"], "pg_current_wal_lsn()")
    wait_for(lambda: _lsn(standby["params"], "pg_last_wal_replay_lsn()") >= target, timeout=60,
             message="the standby to catch up")


class Recorder:
    """Every query of a connection, and whether that connection is a standby (asked on the same session)."""

    def __init__(self):
        self.sql: list[str] = []
        self.in_recovery: set[bool] = set()

    def __call__(self, execute, sql, params, many, context):
        if not self.in_recovery:
            with context["connection"].connection.cursor() as cur:  # the view's own database session
                cur.execute("SELECT pg_is_in_recovery()")
                self.in_recovery.add(cur.fetchone()[0])
        self.sql.append(sql)
        return execute(sql, params, many, context)


def _recorded(client: Client, method: str, url: str, **kw):
    on_replica, on_primary = Recorder(), Recorder()
    with connections["replica"].execute_wrapper(on_replica), connections[DEFAULT_DB_ALIAS].execute_wrapper(on_primary):
        response = getattr(client, method)(url, **kw)
    return response, on_replica, on_primary


def test_the_national_dashboard_is_served_by_the_standby(demo_orgs, replica_alias, django_user_model):
    client = Client()
    client.force_login(django_user_model.objects.get(username="miit_official"))
    _caught_up(replica_alias)
    response, on_replica, on_primary = _recorded(client, "get", "/")
    assert response.status_code == 200
    assert on_replica.in_recovery == {True}, "the dashboard's connection is the standby"
    assert len(on_replica.sql) >= 5
    # the primary saw at most the session and user look-ups of the middleware, no figure of the dashboard
    figures = [q for q in on_primary.sql if "allocations_" in q or "reporting_" in q or "enforcement_" in q]
    assert figures == []
    # and the list APIs too
    response, on_replica, on_primary = _recorded(client, "get", "/api/v1/quotas/?year=2025")
    assert response.status_code == 200 and on_replica.in_recovery == {True}
    assert not [q for q in on_primary.sql if "allocations_" in q]


def test_a_filer_sees_its_just_filed_report(demo_orgs, replica_alias, django_user_model, settings):
    settings.READ_YOUR_WRITES_SECONDS = 30
    filer = Client()
    filer.force_login(django_user_model.objects.get(username="huamei_filer"))
    _caught_up(replica_alias)
    params = replica_alias["params"]
    pause = psycopg2.connect(**params)
    pause.autocommit = True
    try:
        with pause.cursor() as cur:
            cur.execute("SELECT pg_wal_replay_pause()")  # the standby stops replaying: it lags for sure now
        r = filer.post("/api/v1/reports/", {"year": 2025, "month": 3, "submit": True, "attest": True, **huamei_payload(demo_orgs)},
                       content_type="application/json", HTTP_PREFER="return=minimal")
        assert r.status_code == 201, r.content
        assert db_router.PIN_COOKIE in r.cookies
        rid = r.json()["id"]
        with pause.cursor() as cur:
            cur.execute("SELECT count(*) FROM reporting_monthlyreport WHERE id = %s", [rid])
            assert cur.fetchone()[0] == 0, "the standby has not replayed the filing"
        response, on_replica, on_primary = _recorded(filer, "get", f"/api/v1/reports/{rid}/")
        assert response.status_code == 200 and response.json()["status"] == "submitted"
        assert on_replica.sql == []  # pinned to the primary
        listing = filer.get("/api/v1/reports/?year=2025&month=3").json()
        assert [x["id"] for x in listing["results"]] == [rid]
        # another session of the same user (no cookie) is pinned too: the pin is also kept per user
        other = Client()
        other.force_login(django_user_model.objects.get(username="huamei_filer"))
        assert other.get(f"/api/v1/reports/{rid}/").status_code == 200
        # someone else (not pinned) reads the lagging standby: the report is not there yet
        reviewer = Client()
        reviewer.force_login(django_user_model.objects.get(username="jiuyuan_reviewer"))
        response, on_replica, _ = _recorded(reviewer, "get", "/api/v1/reports/?year=2025&month=3")
        assert on_replica.in_recovery == {True} and response.json()["count"] == 0
    finally:
        with pause.cursor() as cur:
            cur.execute("SELECT pg_wal_replay_resume()")
        pause.close()
    _caught_up(replica_alias)
    assert MonthlyReport.objects.using("replica").filter(pk=rid).exists()
    assert Enterprise.objects.using("replica").filter(pk=demo_orgs["enterprises"]["huamei"].pk).exists()
