"""The example ERP client's retry policy, against a local HTTP stub: 503 and 429 (Retry-After) are retried
with the same Idempotency-Key; a 409 is not retried."""

from __future__ import annotations

import importlib.util
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

spec = importlib.util.spec_from_file_location("erp_client", Path(__file__).resolve().parents[2] / "examples" / "erp_client.py")
erp_client = importlib.util.module_from_spec(spec)
spec.loader.exec_module(erp_client)


@pytest.fixture
def stub():
    answers: list[tuple[int, dict, dict]] = []
    seen: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 — http.server's naming
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            seen.append({"path": self.path, "key": self.headers.get("Idempotency-Key")})
            status, body, headers = answers.pop(0)
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(json.dumps(body).encode())

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", answers, seen
    server.shutdown()


def test_retries_503_and_429_with_the_same_key_then_succeeds(stub):
    url, answers, seen = stub
    answers += [(503, {"detail": "down", "code": "unavailable"}, {}),
                (429, {"detail": "slow down", "code": "throttled"}, {"Retry-After": "0"}),
                (201, {"id": 7, "status": "draft"}, {})]
    client = erp_client.QuotaPortalClient(url, token="t", backoff_base=0.01)
    assert client.file_report({"year": 2025, "month": 3}, idempotency_key="k-1")["id"] == 7
    assert [s["key"] for s in seen] == ["k-1", "k-1", "k-1"]


def test_a_conflict_is_not_retried(stub):
    url, answers, seen = stub
    answers += [(409, {"detail": "submitted already", "code": "invalid_transition"}, {})]
    client = erp_client.QuotaPortalClient(url, token="t", backoff_base=0.01)
    with pytest.raises(erp_client.ApiError) as exc:
        client.submit_report(7, attest=True, idempotency_key="k-2")
    assert exc.value.status == 409 and exc.value.body["code"] == "invalid_transition" and len(seen) == 1


def test_gives_up_after_max_attempts(stub):
    url, answers, seen = stub
    answers += [(502, {"detail": "bad gateway", "code": "x"}, {})] * 3
    client = erp_client.QuotaPortalClient(url, token="t", max_attempts=3, backoff_base=0.01)
    with pytest.raises(erp_client.TransportError):
        client.file_report({"year": 2025, "month": 3}, idempotency_key="k-3")
    assert len(seen) == 3


def test_idempotency_key_is_stable_per_document():
    a = {"year": 2025, "month": 3, "production": []}
    assert erp_client.idempotency_key_for("file", a) == erp_client.idempotency_key_for("file", dict(a))
    assert erp_client.idempotency_key_for("file", a) != erp_client.idempotency_key_for("submit", a)
