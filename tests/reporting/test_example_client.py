"""The example ERP client (examples/erp_client.py) against a live server: token, Idempotency-Key, filing,
submitting, a retry after a lost response files nothing twice, a refused request prints the error body."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from organizations.demo import DEMO_PASSWORD
from reporting.models import MonthlyReport

from .conftest import huamei_payload

ROOT = Path(__file__).resolve().parents[2]
CLIENT = ROOT / "examples" / "erp_client.py"

pytestmark = pytest.mark.django_db(transaction=True)


def run(live_server, *args):
    return subprocess.run([sys.executable, str(CLIENT), "--base-url", live_server.url, "--username", "huamei_filer",
                           "--password", DEMO_PASSWORD, "--max-attempts", "3", *args],
                          capture_output=True, text=True, timeout=120)


def test_example_client_files_and_submits_once_against_a_live_server(demo_orgs, live_server, tmp_path):
    report_file = tmp_path / "report.json"
    report_file.write_text(json.dumps({"year": 2025, "month": 3, **huamei_payload(demo_orgs, 2025, 3)}))
    first = run(live_server, "--report", str(report_file), "--submit")
    assert first.returncode == 0, first.stderr
    out = json.loads(first.stdout)
    assert out["status"] == "submitted" and out["version"] == 1 and set(out) == {
        "id", "version", "status", "due_at", "late", "warnings"}
    # the ERP lost the answer and runs again: same keys, same report, nothing filed twice
    again = run(live_server, "--report", str(report_file), "--submit")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["id"] == out["id"]
    assert MonthlyReport.objects.filter(enterprise=demo_orgs["enterprises"]["huamei"], year=2025, month=3).count() == 1


def test_example_client_prints_the_error_body_and_does_not_retry_a_refusal(demo_orgs, live_server, tmp_path):
    payload = {"year": 2025, "month": 3, **huamei_payload(demo_orgs, 2025, 3)}
    payload["production"][0]["tonnes"] = "-1"
    report_file = tmp_path / "bad.json"
    report_file.write_text(json.dumps(payload))
    r = run(live_server, "--report", str(report_file))
    assert r.returncode == 1
    err = json.loads(r.stderr)
    assert err["error"] == 400 and err["code"] == "invalid" and any("tonnes" in k for k in err["errors"])
    assert not MonthlyReport.objects.filter(enterprise=demo_orgs["enterprises"]["huamei"]).exists()


def test_example_file_in_the_repository_is_a_valid_report(demo_orgs, live_server):
    r = run(live_server, "--report", str(ROOT / "examples" / "report-2025-03.json"))
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["status"] == "draft"
