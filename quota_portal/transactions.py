"""Transactions as the design says: every top-level service is the outermost transaction (durable).

``@service`` is ``@transaction.atomic(durable=True)`` for a service called on its own (by a view, an API view, a
task): wrapping it in another ``transaction.atomic()`` by accident is a RuntimeError, not a silent savepoint whose
"commit" is not one. The few callers that compose several services into one unit of work — the idempotent API
calls, the Excel import, the demo seed — declare themselves the durable boundary with ``durable_boundary()``
(a service that calls another service is one too); the services they call then join that transaction.
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

from django.db import transaction

P = ParamSpec("P")
R = TypeVar("R")

_in_boundary: contextvars.ContextVar[bool] = contextvars.ContextVar("durable_boundary", default=False)


@contextmanager
def durable_boundary() -> Iterator[None]:
    """The outermost (durable) transaction of a caller that composes services; they join it."""
    if _in_boundary.get():
        with transaction.atomic():
            yield
        return
    token = _in_boundary.set(True)
    try:
        with transaction.atomic(durable=True):
            yield
    finally:
        _in_boundary.reset(token)


def service(fn: Callable[P, R]) -> Callable[P, R]:
    """A top-level service: its own durable transaction, or a part of the caller's durable boundary."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with durable_boundary():
            return fn(*args, **kwargs)

    return wrapper
