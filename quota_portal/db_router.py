"""Read replica: read-only requests read from the ``replica`` database alias, writes always go to the primary.

Active only when ``REPLICA_DATABASE_URL`` is set (settings.DATABASES has a ``replica`` alias); otherwise every
query goes to ``default`` as before (``make run`` and the tests are unaffected).

- ``ReplicaMiddleware`` decides per request: a GET/HEAD/OPTIONS request — the pages and the list APIs — reads
  from the replica, unless its path is one of ``PRIMARY_ONLY_PATHS`` (login, two-factor, admin, tokens) or the
  client has just written.
- Read-your-writes: any successful write request (POST/PUT/PATCH/DELETE answered below 400) pins its author to
  the primary for ``READ_YOUR_WRITES_SECONDS`` (5): a ``primary_pin`` cookie (browsers, cookie-keeping clients)
  and a cache key per session user and per ``Authorization`` header (API clients that drop cookies; use a
  shared cache — ``CACHE_URL=redis://…`` — when web runs in several processes).
- ``PrimaryReplicaRouter`` sends reads to the alias the middleware chose, but never inside a transaction on the
  primary (a service reading what it is about to change must read the primary); writes and migrations go to
  ``default``. Celery tasks and management commands never set an alias: they read the primary.
"""

from __future__ import annotations

import contextvars
import hashlib
import time

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"
PIN_COOKIE = "primary_pin"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PRIMARY_ONLY_PATHS = ("/login/", "/logout/", "/account/", "/admin/", "/api/v1/auth/")

_read_alias: contextvars.ContextVar[str | None] = contextvars.ContextVar("read_alias", default=None)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


def current_read_alias() -> str | None:
    return _read_alias.get()


def pin_seconds() -> int:
    return int(getattr(settings, "READ_YOUR_WRITES_SECONDS", 5))


def _pin_keys(request) -> list[str]:
    keys = []
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        keys.append(f"primary-pin:user:{user.pk}")
    auth = request.headers.get("Authorization", "")
    if auth:
        keys.append("primary-pin:auth:" + hashlib.sha256(auth.encode()).hexdigest()[:32])
    return keys


def _pinned(request) -> bool:
    try:
        if float(request.COOKIES.get(PIN_COOKIE, "0")) > time.time():
            return True
    except ValueError:
        pass
    keys = _pin_keys(request)
    return bool(keys) and bool(cache.get_many(keys))


def _reads_from_replica(request) -> bool:
    return (request.method in SAFE_METHODS and not request.path.startswith(PRIMARY_ONLY_PATHS)
            and not _pinned(request))


class ReplicaMiddleware:
    """Chooses the database a request reads from and pins writers to the primary (see the module docstring).
    Placed after AuthenticationMiddleware: the session user is known (its lookup reads the primary)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not replica_configured():
            return self.get_response(request)
        token = _read_alias.set(REPLICA if _reads_from_replica(request) else None)
        try:
            response = self.get_response(request)
        finally:
            _read_alias.reset(token)
        if request.method not in SAFE_METHODS and response.status_code < 400:
            seconds = pin_seconds()
            response.set_cookie(PIN_COOKIE, f"{time.time() + seconds:.3f}", max_age=seconds, httponly=True,
                                samesite="Lax", secure=request.is_secure())
            keys = _pin_keys(request)
            if keys:
                cache.set_many(dict.fromkeys(keys, 1), timeout=seconds)
        return response


class PrimaryReplicaRouter:
    def db_for_read(self, model, **hints):
        alias = _read_alias.get()
        if alias is None or connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return None
        return alias

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica is a copy of the primary: same rows, same ids

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS


def read_connection(model=None):
    """The connection a raw read (``cursor()``) of ``model``'s tables should use: the replica when the router
    sends this request's reads there, else ``default``."""
    alias = PrimaryReplicaRouter().db_for_read(model) or DEFAULT_DB_ALIAS
    return connections[alias]
