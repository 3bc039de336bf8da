"""Publication is a decision: what appears on the public pages (national totals of a year, changes of the
designated list, penalty decisions) is published by a ministry user, with the date recorded.

Generic by (kind, key): ``publication_publish(actor=…, kind=PublicationKind.PENALTY, key=penalty.pk)``; public
selectors filter with ``published_keys(kind)`` or ``is_published(kind, key)``."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from quota_portal.errors import Conflict, DomainValidationError
from quota_portal.transactions import service

from .audit import audit_record
from .models import Publication, PublicationKind
from .permissions import require
from .selectors import membership_of


def _key(key) -> str:
    return str(key).strip()[:40]


@service
def publication_publish(*, actor: User, kind: str, key, note: str = "") -> Publication:
    """Publish an object on the public pages (once; a second publication of the same object is refused)."""
    require(actor, "organizations.publish")
    if kind not in PublicationKind.values:
        raise DomainValidationError(errors={"kind": [_("Choose what to publish.")]})
    if not _key(key):
        raise DomainValidationError(errors={"key": [_("Say what to publish.")]})
    try:
        with transaction.atomic():
            pub = Publication.objects.create(kind=kind, key=_key(key), published_by=actor,
                                             published_at=timezone.now(), note=(note or "").strip())
    except IntegrityError:
        raise Conflict(_("This has already been published."), code="already_published")
    m = membership_of(actor)
    audit_record(actor=actor, action="publication.publish", obj=pub, org=m.authority if m else None,
                 after={"kind": kind, "key": pub.key, "published_at": pub.published_at})
    return pub


def is_published(kind: str, key) -> bool:
    return Publication.objects.filter(kind=kind, key=_key(key)).exists()


def published_keys(kind: str) -> QuerySet:
    """The keys published for a kind (a values_list usable in ``__in`` filters)."""
    return Publication.objects.filter(kind=kind).values_list("key", flat=True)


def publication_of(kind: str, key) -> Publication | None:
    return Publication.objects.filter(kind=kind, key=_key(key)).first()
