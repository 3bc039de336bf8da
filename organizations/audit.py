"""Audit trail: every state change made by a service writes one append-only, hash-chained entry.

There is one hash chain per organisation (the scope path of the organisation an entry concerns), so two
services writing for different enterprises never wait for each other: each takes a transaction-scoped
advisory lock on its own chain only. Tamper evidence beyond the database: ``audit_seal`` (daily beat job
and ``manage.py seal_audit``) signs the chain heads with an HMAC under ``AUDIT_SEAL_KEY`` (environment,
never the database) and writes the seal to the database and to an append-only file in ``AUDIT_SEAL_DIR``.
``audit_check`` (``manage.py verify_audit``) walks every chain and checks it against the seals: an entry
changed in place, a chain rebuilt with recomputed hashes, or a cut-off end is reported.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from quota_portal.bulk import bulk_insert
from quota_portal.middleware import current_request_id
from quota_portal.transactions import service

from .models import AuditEntry, AuditSeal, Authority, Enterprise, EnterpriseGroup
from .selectors import membership_of

# Any constants: the first key of the PostgreSQL advisory locks of the audit chains (second key: the chain's
# hashtext) and the key of the lock that orders the seals.
_CHAIN_LOCK_SPACE = 7_316_001
_SEAL_LOCK_KEY = 7_316_002
SEAL_FILE_NAME = "audit-seals.jsonl"


def _plain(value: Any) -> Any:
    """JSON-safe copy (Decimals and dates as strings) so that what is hashed is exactly what is stored."""
    if value is None:
        return None
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False))


def scope_path_of(org: Any) -> str:
    """The scope path of the organisation an entry concerns (see selectors.audit_entry_list)."""
    if isinstance(org, Enterprise):
        return f"{org.county.path}e{org.pk}/"
    if isinstance(org, Authority):
        return org.path
    if isinstance(org, EnterpriseGroup):
        return f"g{org.pk}/"
    return ""


def audit_record(
    *,
    actor,
    action: str,
    obj: Any,
    org: Any = None,
    before: dict | None = None,
    after: dict | None = None,
) -> AuditEntry:
    """Append an audit entry in the caller's transaction (call it inside the service's atomic block).

    The entry goes to the chain of the organisation it concerns; only writers to that same chain wait for
    the lock (held until the caller's transaction ends, so the chain stays linear)."""
    return audit_record_many(actor=actor, org=org, entries=[{"action": action, "obj": obj, "before": before,
                                                             "after": after}])[0]


# The pending entries of an ``audit_batch()`` (None outside one): (chain, entry) in the order they were recorded.
_pending: ContextVar[list[tuple[str, AuditEntry]] | None] = ContextVar("audit_pending", default=None)


@contextmanager
def audit_batch() -> Iterator[None]:
    """Inside a service's transaction: the entries recorded in the block are appended to their chains when the block
    ends, in the order they were recorded, with one lock, one read of the head and one insert per chain — the same
    entries, linked and hashed the same way, as if each had been appended at once (a service that writes many, e.g.
    filing and submitting a report with its shipments, does not pay for each). Nothing is written if the block
    raises (the transaction is rolled back anyway). A nested block joins the outer one."""
    if _pending.get() is not None:
        yield
        return
    token = _pending.set([])
    try:
        yield
        pending = _pending.get() or []
    finally:
        _pending.reset(token)
    chains: dict[str, list[AuditEntry]] = {}
    for chain, entry in pending:
        chains.setdefault(chain, []).append(entry)
    for chain in sorted(chains):  # a fixed order of the locks: two batches never wait for each other in a cycle
        _append(chain, chains[chain])


def _append(chain: str, entries: list[AuditEntry]) -> None:
    """Link the entries to the head of their chain and insert them, under the chain's lock (held to the end of the
    caller's transaction)."""
    with transaction.atomic(savepoint=False):
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [_CHAIN_LOCK_SPACE, chain])
        last = AuditEntry.objects.filter(chain=chain).order_by("-seq").values_list("seq", "hash").first()
        seq, prev_hash = last if last else (0, "")
        for entry in entries:
            seq += 1
            entry.seq, entry.prev_hash = seq, prev_hash
            entry.hash = prev_hash = entry.content_digest()
        if len(entries) == 1 or not connection.features.can_return_rows_from_bulk_insert:
            for entry in entries:
                entry.save()
        else:
            bulk_insert(AuditEntry, entries)


def audit_record_many(*, actor, org: Any = None, entries: list[dict]) -> list[AuditEntry]:
    """Append several entries of one actor about one organisation, in the given order, with one lock, one read of
    the chain's head and one insert — the same entries, linked the same way, as that many ``audit_record`` calls.
    Each of ``entries``: ``action``, ``obj`` and optionally ``before`` and ``after``. Inside ``audit_batch()`` the
    entries are appended when the batch ends (they have no id until then)."""
    if not entries:
        return []
    authenticated = actor is not None and actor.is_authenticated
    membership = membership_of(actor) if authenticated else None
    actor_org = membership.organisation if membership else None
    scope_path = scope_path_of(org if org is not None else actor_org)
    chain = scope_path
    request_id = current_request_id()
    out = []
    for e in entries:
        obj = e["obj"]
        out.append(AuditEntry(
            at=timezone.now(),
            actor=actor if authenticated else None,
            actor_username=actor.get_username() if authenticated else "system",
            organisation=str(actor_org) if actor_org else "",
            action=e["action"],
            object_type=obj._meta.label if hasattr(obj, "_meta") else type(obj).__name__,
            object_id=str(getattr(obj, "pk", "") or ""),
            before=_plain(e.get("before")),
            after=_plain(e.get("after")),
            request_id=request_id,
            scope_path=scope_path,
            chain=chain,
        ))
    pending = _pending.get()
    if pending is not None:
        pending.extend((chain, entry) for entry in out)
    else:
        _append(chain, out)
    return out


# --- Seals ----------------------------------------------------------------------------------------------


def _seal_key() -> bytes:
    return str(settings.AUDIT_SEAL_KEY).encode()


def seal_key_id(key: bytes | None = None) -> str:
    """A short fingerprint of the seal key (stored with each seal; the key itself never is)."""
    return hashlib.sha256(b"audit-seal-key-id:" + (key if key is not None else _seal_key())).hexdigest()[:16]


def _canonical(payload: dict) -> bytes:
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def seal_mac(payload: dict, key: bytes | None = None) -> str:
    return hmac.new(key if key is not None else _seal_key(), _canonical(payload), hashlib.sha256).hexdigest()


def seal_file_path() -> Path:
    return Path(settings.AUDIT_SEAL_DIR) / SEAL_FILE_NAME


def audit_chain_heads() -> dict[str, list]:
    """{chain: [seq, hash]} of the last entry of every chain (one set-based query)."""
    last_seq = AuditEntry.objects.filter(chain=OuterRef("chain")).order_by("-seq").values("seq")[:1]
    rows = AuditEntry.objects.filter(seq=Subquery(last_seq)).values_list("chain", "seq", "hash")
    return {chain: [seq, digest] for chain, seq, digest in rows}


def heads_digest(heads: dict[str, list]) -> str:
    """One SHA-256 over all chain heads (the backup manifest's "audit chain head")."""
    return hashlib.sha256(_canonical({c: list(v) for c, v in heads.items()})).hexdigest()


def _sealed_heads(seals) -> dict[str, list]:
    state: dict[str, list] = {}
    for seal in seals:
        state.update(seal.heads)
    return state


@service
def audit_seal() -> AuditSeal:
    """Seal the heads of the chains that moved since the last seal; write the seal to the DB and the file."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", [_SEAL_LOCK_KEY])
    seals = list(AuditSeal.objects.order_by("number"))
    sealed = _sealed_heads(seals)
    heads = audit_chain_heads()
    moved = {chain: head for chain, head in heads.items() if sealed.get(chain) != head}
    previous = seals[-1] if seals else None
    seal = AuditSeal(
        number=previous.number + 1 if previous else 1,
        at=timezone.now(),
        heads=moved,
        entries=AuditEntry.objects.count(),
        prev_mac=previous.mac if previous else "",
        key_id=seal_key_id(),
    )
    seal.mac = seal_mac(seal.payload())
    seal.save()
    # The copy outside the database, appended (never rewritten) before the seal commits: if the file cannot
    # be written the seal is not made at all.
    path = seal_file_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps({**seal.payload(), "mac": seal.mac}, ensure_ascii=False, sort_keys=True) + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    return seal


# --- Verification ---------------------------------------------------------------------------------------


@dataclass
class AuditCheck:
    entries: int = 0
    chains: int = 0
    seals: int = 0
    unsealed: int = 0  # entries written after the last seal (covered by the next one)
    first_broken: AuditEntry | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class _FileSeal:
    number: int
    heads: dict
    mac: str
    payload: dict


def _read_seal_file(path: Path, check: AuditCheck, key: bytes) -> dict[int, _FileSeal]:
    found: dict[int, _FileSeal] = {}
    if not path.exists():
        return found
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            mac = data.pop("mac")
            number = int(data["number"])
        except (ValueError, KeyError, TypeError):
            check.problems.append(f"Seal file {path} line {lineno} is not a seal.")
            continue
        if not hmac.compare_digest(seal_mac(data, key), mac):
            check.problems.append(f"Seal file {path} line {lineno} (seal #{number}) has a MAC that does not verify.")
            continue
        found[number] = _FileSeal(number=number, heads=data.get("heads") or {}, mac=mac, payload=data)
    return found


def audit_check(*, seal_file: Path | None = None) -> AuditCheck:
    """Walk every chain, check the seals (MACs, their own chain, the copy in the seal file), and check that
    every sealed head is still there with the sealed hash."""
    check = AuditCheck()
    key = _seal_key()
    key_id = seal_key_id(key)
    # 1. Seals in the database: each verifies under the key and covers the previous one.
    db_seals = list(AuditSeal.objects.order_by("number"))
    check.seals = len(db_seals)
    prev_mac = ""
    valid_db: dict[int, AuditSeal] = {}
    for expected, seal in enumerate(db_seals, start=1):
        if seal.number != expected:
            check.problems.append(f"Seal #{expected} is missing from the database (next is #{seal.number}).")
        if seal.key_id != key_id:
            check.problems.append(f"Seal #{seal.number} was made with another key (key id {seal.key_id}, "
                                  f"AUDIT_SEAL_KEY gives {key_id}).")
            prev_mac = seal.mac
            continue
        if not hmac.compare_digest(seal_mac(seal.payload(), key), seal.mac):
            check.problems.append(f"Seal #{seal.number} in the database does not verify (forged or altered).")
        elif seal.prev_mac != prev_mac:
            check.problems.append(f"Seal #{seal.number} does not follow seal #{seal.number - 1}.")
        else:
            valid_db[seal.number] = seal
        prev_mac = seal.mac
    # 2. The copy outside the database.
    path = seal_file if seal_file is not None else seal_file_path()
    file_seals = _read_seal_file(path, check, key)
    if db_seals and not path.exists():
        check.problems.append(f"The seal file {path} is missing: the seals cannot be checked against it.")
    for number, fs in file_seals.items():
        db = valid_db.get(number)
        if db is None and not any(s.number == number for s in db_seals):
            check.problems.append(f"Seal #{number} is in the seal file but not in the database (seals deleted).")
        elif db is not None and db.mac != fs.mac:
            check.problems.append(f"Seal #{number} differs between the database and the seal file.")
    if path.exists():
        for seal in db_seals:
            if seal.number not in file_seals:
                check.problems.append(f"Seal #{seal.number} is not in the seal file {path}.")
    # 3. Sealed points: every valid seal (database or file), in order; later seals of a chain add points.
    sealed: dict[str, dict[int, tuple[str, int]]] = {}
    for number in sorted(set(valid_db) | set(file_seals)):
        heads = file_seals[number].heads if number in file_seals else valid_db[number].heads
        for chain, (seq, digest) in heads.items():
            sealed.setdefault(chain, {})[int(seq)] = (digest, number)
    # 4. Walk every chain in order.
    chain, prev, expected_seq, last_sealed_seq = None, "", 0, 0
    broken_chains: set[str] = set()
    fields = ["id", "at", "actor_id", "actor_username", "organisation", "action", "object_type", "object_id",
              "before", "after", "request_id", "scope_path", "chain", "seq", "prev_hash", "hash"]
    for entry in AuditEntry.objects.order_by("chain", "seq").only(*fields).iterator(chunk_size=2000):
        if entry.chain != chain:
            _end_of_chain(check, chain, expected_seq, last_sealed_seq, sealed)
            chain, prev, expected_seq, last_sealed_seq = entry.chain, "", 0, 0
            check.chains += 1
        check.entries += 1
        expected_seq += 1
        points = sealed.get(entry.chain)
        if points and entry.seq in points:
            digest, number = points.pop(entry.seq)
            last_sealed_seq = entry.seq
            if digest != entry.hash:
                check.problems.append(
                    f"Chain {entry.chain or '(system)'} was rebuilt: entry #{entry.pk} (seq {entry.seq}) does not "
                    f"have the hash sealed in seal #{number}.")
                check.first_broken = check.first_broken or entry
        if entry.seq != expected_seq or entry.prev_hash != prev or entry.content_digest() != entry.hash:
            if entry.chain not in broken_chains:
                broken_chains.add(entry.chain)
                check.problems.append(
                    f"Audit chain broken at entry #{entry.pk} ({entry.at:%Y-%m-%d %H:%M:%S} {entry.action} "
                    f"{entry.object_type}#{entry.object_id}), chain {entry.chain or '(system)'} seq {entry.seq}.")
            check.first_broken = check.first_broken or entry
            expected_seq = entry.seq
        prev = entry.hash
    _end_of_chain(check, chain, expected_seq, last_sealed_seq, sealed)
    for chain_name, points in sealed.items():  # chains sealed but now entirely gone
        if points:
            seq = max(points)
            check.problems.append(f"Chain {chain_name or '(system)'} was truncated: it is gone, but seal "
                                  f"#{points[seq][1]} covers it up to seq {seq}.")
    return check


def _end_of_chain(check: AuditCheck, chain, last_seq: int, last_sealed_seq: int, sealed: dict) -> None:
    if chain is None:
        return
    check.unsealed += last_seq - last_sealed_seq
    points = sealed.pop(chain, {})
    if points:
        seq = max(points)
        check.problems.append(f"Chain {chain or '(system)'} was truncated: it ends at seq {last_seq}, but seal "
                              f"#{points[seq][1]} covers it up to seq {seq}.")


def audit_verify() -> tuple[int, AuditEntry | None]:
    """Walk the chains; return (entries checked, first broken entry or None). See ``audit_check``."""
    check = audit_check()
    return check.entries, check.first_broken
