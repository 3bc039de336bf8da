#!/usr/bin/env python3
"""Example: an enterprise ERP files and submits its monthly report through the portal's API.

Standard library only (copy it into any ERP integration). See docs/integration.md.

    python examples/erp_client.py --base-url https://quota.example.gov.cn \
        --username huamei_filer --password '…' --report examples/report-2025-03.json [--submit]
    python examples/erp_client.py … --report-id 42 --excel filled-in-template.xlsx [--submit]

What it shows:
- a token from POST /api/v1/auth/token/ (with --otp-token for the roles that need a second factor);
- an Idempotency-Key per business operation, derived from the ERP's own identifiers, so that a retry after a
  lost response (timeout, dropped connection, 5xx) never files twice;
- retries with exponential backoff and jitter on network errors, 429 (honouring Retry-After) and 5xx, and no
  retry on 400/401/403/404/409, whose error body (detail, code, errors keyed by field path) is printed;
- the Excel alternative: upload a filled-in template into a draft report.

Prints one JSON line with the report's id, version, status, due_at, late and warnings; exit status 0 on
success, 1 on a refused request, 2 on a transport failure after all retries.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import time
import urllib.error
import urllib.request
import uuid
from typing import Any

RETRY_STATUSES = {429, 500, 502, 503, 504}


class ApiError(Exception):
    """The portal refused the request (4xx): do not retry; fix the data or the state."""

    def __init__(self, status: int, body: dict):
        self.status, self.body = status, body
        super().__init__(f"HTTP {status} {body.get('code', '')}: {body.get('detail', '')}")


class TransportError(Exception):
    """No usable answer after all retries."""


class QuotaPortalClient:
    def __init__(self, base_url: str, *, token: str | None = None, timeout: float = 30.0, max_attempts: int = 6,
                 backoff_base: float = 0.5, backoff_cap: float = 30.0):
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap

    # -- transport -------------------------------------------------------------------------------------------
    def _delay(self, attempt: int, retry_after: str | None) -> float:
        if retry_after and retry_after.isdigit():
            return min(float(retry_after), self.backoff_cap)
        return random.uniform(0, min(self.backoff_cap, self.backoff_base * 2 ** attempt))  # "full jitter"

    def request(self, method: str, path: str, *, body: Any = None, data: bytes | None = None,
                content_type: str = "application/json", idempotency_key: str | None = None) -> tuple[int, Any]:
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Token {self.token}"
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        if body is not None:
            data = json.dumps(body).encode()
        if data is not None:
            headers["Content-Type"] = content_type
        last_problem = ""
        for attempt in range(self.max_attempts):
            req = urllib.request.Request(self.base_url + path, data=data, method=method, headers=headers)
            try:
                with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                    raw = resp.read()
                    return resp.status, json.loads(raw) if raw else None
            except urllib.error.HTTPError as exc:
                raw = exc.read()
                try:
                    payload = json.loads(raw) if raw else {}
                except ValueError:
                    payload = {"detail": raw[:200].decode(errors="replace"), "code": "unexpected"}
                if exc.code not in RETRY_STATUSES:
                    raise ApiError(exc.code, payload) from None
                last_problem = f"HTTP {exc.code}"
                retry_after = exc.headers.get("Retry-After")
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                # The request may or may not have reached the portal: the Idempotency-Key makes the retry safe.
                last_problem, retry_after = str(exc), None
            if attempt + 1 < self.max_attempts:
                time.sleep(self._delay(attempt, retry_after))
        raise TransportError(f"{method} {path}: no answer after {self.max_attempts} attempts ({last_problem})")

    # -- operations ------------------------------------------------------------------------------------------
    def obtain_token(self, username: str, password: str, otp_token: str | None = None) -> str:
        body = {"username": username, "password": password}
        if otp_token:
            body["otp_token"] = otp_token
        _, data = self.request("POST", "/api/v1/auth/token/", body=body)
        self.token = data["token"]
        return self.token

    def file_report(self, report: dict, *, idempotency_key: str) -> dict:
        _, data = self.request("POST", "/api/v1/reports/", body=report, idempotency_key=idempotency_key)
        return data

    def submit_report(self, report_id: int, *, idempotency_key: str, attest: bool, confirm_warnings: bool = False,
                      warnings_explanation: str = "") -> dict:
        """``attest``: the filer confirms the figures are true and complete (如实记录); the portal refuses without."""
        body = {"attest": attest, "confirm_warnings": confirm_warnings, "warnings_explanation": warnings_explanation}
        _, data = self.request("POST", f"/api/v1/reports/{report_id}/submit/", body=body,
                               idempotency_key=idempotency_key)
        return data

    def upload_excel(self, report_id: int, filename: str, content: bytes) -> dict:
        boundary = uuid.uuid4().hex
        data = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n"
                "Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n\r\n").encode()
        data += content + f"\r\n--{boundary}--\r\n".encode()
        _, out = self.request("POST", f"/api/v1/reports/{report_id}/upload/", data=data,
                              content_type=f"multipart/form-data; boundary={boundary}")
        return out


def idempotency_key_for(operation: str, report: dict) -> str:
    """Stable per business operation: the same ERP document gives the same key on every retry, on any day."""
    ident = f"{operation}:{report.get('enterprise', '')}:{report['year']}-{report['month']:02d}"
    content = hashlib.sha256(json.dumps(report, sort_keys=True).encode()).hexdigest()[:16]
    return f"erp-{ident}-{content}"


def summary(report: dict) -> dict:
    return {k: report.get(k) for k in ("id", "version", "status", "due_at", "late", "warnings")}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--base-url", required=True)
    p.add_argument("--username", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--otp-token", default=None, help="TOTP code, for the roles that sign in with a second factor")
    p.add_argument("--report", help="JSON file with the monthly report (see docs/integration.md)")
    p.add_argument("--report-id", type=int, help="with --excel: the draft report to fill from the template")
    p.add_argument("--excel", help="a filled-in template (.xlsx) to upload instead of JSON")
    p.add_argument("--submit", action="store_true", help="submit after filing, attesting (如实记录) that the figures are true and complete")
    p.add_argument("--confirm-warnings", action="store_true")
    p.add_argument("--max-attempts", type=int, default=6)
    args = p.parse_args(argv)

    client = QuotaPortalClient(args.base_url, max_attempts=args.max_attempts)
    try:
        client.obtain_token(args.username, args.password, args.otp_token)
        if args.excel:
            if not args.report_id:
                p.error("--excel needs --report-id (a draft report)")
            with open(args.excel, "rb") as fh:
                report = client.upload_excel(args.report_id, args.excel.rsplit("/", 1)[-1], fh.read())
            key_source = {"year": report["year"], "month": report["month"], "enterprise": report["enterprise"],
                          "version": report["version"], "excel": True}
        else:
            if not args.report:
                p.error("give --report FILE.json or --excel FILE.xlsx --report-id N")
            with open(args.report, encoding="utf-8") as fh:
                key_source = json.load(fh)
            report = client.file_report(key_source, idempotency_key=idempotency_key_for("file", key_source))
        if args.submit:
            report = client.submit_report(report["id"], attest=True, idempotency_key=idempotency_key_for("submit", key_source),
                                          confirm_warnings=args.confirm_warnings)
    except ApiError as exc:
        print(json.dumps({"error": exc.status, **exc.body}, ensure_ascii=False), file=sys.stderr)
        return 1
    except TransportError as exc:
        print(json.dumps({"error": "transport", "detail": str(exc)}), file=sys.stderr)
        return 2
    print(json.dumps(summary(report), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
