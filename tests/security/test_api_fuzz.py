"""Property-based fuzzing of the whole API (schemathesis against the live /api/schema/), as each role:
zero server errors, no status code the schema does not document for the operation, and every response
(error bodies included) conforms to the schema. Bounded budget for CI."""

from __future__ import annotations

import os
import time

import pytest
import schemathesis
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, seed
from hypothesis import settings as hsettings
from rest_framework.authtoken.models import Token
from schemathesis.checks import content_type_conformance, not_a_server_error, response_schema_conformance
from schemathesis.specs.openapi.checks import status_code_conformance

from quota_portal.wsgi import application
from tests.dbsnapshot import seeded

ROLES = ["miit_official", "miit_approver", "jiuyuan_reviewer", "baotou_viewer", "huamei_filer", "north_manager"]
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "6"))  # per operation and role
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance, content_type_conformance]


def _describe(exc) -> str:
    parts = getattr(exc, "exceptions", [exc])
    return " | ".join(" ".join(f"{getattr(e, 'title', '')} {getattr(e, 'message', '') or e}".split())[:400]
                      for e in parts)


def _fuzz_operation(op, username, headers, calls, failures):
    @seed(20261126)
    @hsettings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
               phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=op.as_strategy())
    def fuzz(case):
        response = case.call(headers=headers)
        calls[0] += 1
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except (Exception, BaseExceptionGroup) as exc:  # collect them all, report at the end
            failures.append(f"{op.method.upper()} {op.path} as {username}: {_describe(exc)}")

    fuzz()


@pytest.fixture
def in_process_wsgi():
    """Call the WSGI app inside the test's transaction, as Django's test client does: the end of a request
    must not close the test's database connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield application
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.django_db
def test_api_survives_fuzzing_as_every_role(settings, in_process_wsgi):
    settings.OTP_REQUIRED = False
    seeded("seed_demo", lambda: call_command("seed_demo", stdout=open(os.devnull, "w")))  # built once, replayed (tests/dbsnapshot.py)
    schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
    operations = [r.ok() for r in schema.get_all_operations()]
    assert len(operations) >= 20
    calls, failures = [0], []
    started = time.monotonic()
    for username in ROLES:
        user = get_user_model().objects.get(username=username)
        token, _ = Token.objects.get_or_create(user=user)
        headers = {"Authorization": f"Token {token.key}"}
        for op in operations:
            _fuzz_operation(op, username, headers, calls, failures)
    elapsed = time.monotonic() - started
    calls = calls[0]
    print(f"\nfuzzing: {calls} requests over {len(operations)} operations × {len(ROLES)} roles in {elapsed:.0f}s")
    assert calls >= 1000 or EXAMPLES < 6
    per_role = {r: sum(1 for f in failures if f" as {r}: " in f) for r in ROLES}
    print("failures per role:", per_role)
    unique = sorted({f.split(" as ")[0] + ": " + f.split(": ", 1)[1][:300] for f in failures})
    assert not failures, f"{len(failures)} failures; distinct:\n" + "\n".join(unique[:40])
