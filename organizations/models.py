from __future__ import annotations

import hashlib
import json

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .validators import division_code_validator, validate_credit_code


class Role(models.TextChoices):
    MINISTRY_OFFICIAL = "ministry_official", _("Ministry official")
    MINISTRY_APPROVER = "ministry_approver", _("Ministry approver")
    AUTHORITY_REVIEWER = "authority_reviewer", _("County reviewer")
    AUTHORITY_VIEWER = "authority_viewer", _("Authority viewer")
    ENTERPRISE_FILER = "enterprise_filer", _("Enterprise filer")
    ENTERPRISE_MANAGER = "enterprise_manager", _("Enterprise manager")


MINISTRY_ROLES = frozenset({Role.MINISTRY_OFFICIAL, Role.MINISTRY_APPROVER})
AUTHORITY_ROLES = frozenset({Role.AUTHORITY_REVIEWER, Role.AUTHORITY_VIEWER})
ENTERPRISE_ROLES = frozenset({Role.ENTERPRISE_FILER, Role.ENTERPRISE_MANAGER})
# Roles that decide: the ministry roles (plans, batches, adjustments, their approval) and the county reviewers
# (open cases, decide and approve penalties). They sign in with a TOTP second factor (organizations/twofactor.py).
TWO_FACTOR_ROLES = MINISTRY_ROLES | frozenset({Role.AUTHORITY_REVIEWER})


class Level(models.TextChoices):
    MINISTRY = "ministry", _("Ministry")
    PROVINCE = "province", _("Province")
    CITY = "city", _("City")
    COUNTY = "county", _("County")


LEVEL_ORDER = [Level.MINISTRY, Level.PROVINCE, Level.CITY, Level.COUNTY]
PARENT_LEVEL = {LEVEL_ORDER[i]: LEVEL_ORDER[i - 1] for i in range(1, len(LEVEL_ORDER))}


class Activity(models.TextChoices):
    MINING = "mining", _("Mining")
    SMELTING_SEPARATION = "smelting_separation", _("Smelting separation")


class IndicatorType(models.TextChoices):
    MINING_ROCK = "mining_rock", _("Rock-type mining")
    MINING_ION = "mining_ion", _("Ion-adsorption mining")
    SMELTING_SEPARATION = "smelting_separation", _("Smelting separation")


ACTIVITY_OF_INDICATOR = {
    IndicatorType.MINING_ROCK: Activity.MINING,
    IndicatorType.MINING_ION: Activity.MINING,
    IndicatorType.SMELTING_SEPARATION: Activity.SMELTING_SEPARATION,
}


class Authority(models.Model):
    """A government body at one level of the administrative tree (ministry → province → city → county)."""

    name = models.CharField(_("name"), max_length=120)
    name_en = models.CharField(_("English name"), max_length=120, blank=True)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    code = models.CharField(_("division code"), max_length=6, unique=True, validators=[division_code_validator])
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    # Materialised path of division codes, e.g. "000000/150000/150200/150206/": a subtree is a prefix.
    path = models.CharField(max_length=64, db_index=True, editable=False)

    class Meta:
        verbose_name = _("authority")
        verbose_name_plural = _("authorities")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(level="ministry") & Q(parent__isnull=True))
                | (~Q(level="ministry") & Q(parent__isnull=False)),
                name="authority_parent_iff_not_ministry",
            ),
        ]
        indexes = [models.Index(fields=["path"], name="authority_path_like", opclasses=["varchar_pattern_ops"])]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.level == Level.MINISTRY:
            if self.parent_id:
                raise ValidationError({"parent": _("The ministry has no parent authority.")})
            return
        if self.parent is None:
            raise ValidationError({"parent": _("A %(level)s authority needs a parent.") % {"level": self.get_level_display()}})
        expected = PARENT_LEVEL[Level(self.level)]
        if self.parent.level != expected:
            raise ValidationError(
                {
                    "parent": _("The parent of a %(level)s authority must be a %(expected)s authority, not a %(got)s one.")
                    % {
                        "level": self.get_level_display(),
                        "expected": Level(expected).label,
                        "got": self.parent.get_level_display(),
                    }
                }
            )

    def save(self, *args, **kwargs):
        self.full_clean(exclude=["path"])
        self.path = (self.parent.path if self.parent_id else "") + f"{self.code}/"
        super().save(*args, **kwargs)

    def is_within(self, other: Authority) -> bool:
        return self.path.startswith(other.path)


class EnterpriseGroup(models.Model):
    name = models.CharField(_("name"), max_length=120, unique=True)
    short_name = models.CharField(_("short name"), max_length=40, blank=True)
    name_en = models.CharField(_("English name"), max_length=120, blank=True)
    credit_code = models.CharField(_("unified social credit code"), max_length=18, unique=True, validators=[validate_credit_code])

    class Meta:
        verbose_name = _("enterprise group")
        verbose_name_plural = _("enterprise groups")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Enterprise(models.Model):
    name = models.CharField(_("name"), max_length=120)
    name_en = models.CharField(_("English name"), max_length=160, blank=True)
    credit_code = models.CharField(_("unified social credit code"), max_length=18, unique=True, validators=[validate_credit_code])
    county = models.ForeignKey(
        Authority, verbose_name=_("county"), on_delete=models.PROTECT, related_name="enterprises",
        limit_choices_to={"level": Level.COUNTY},
    )
    group = models.ForeignKey(
        EnterpriseGroup, verbose_name=_("group"), null=True, blank=True, on_delete=models.PROTECT, related_name="enterprises"
    )
    smelting_capacity_t = models.DecimalField(
        _("smelting separation capacity (t REO/year)"), max_digits=14, decimal_places=3, null=True, blank=True
    )
    stop_rectify_ordered = models.BooleanField(_("under a stop-and-rectify order"), default=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(smelting_capacity_t__isnull=True) | Q(smelting_capacity_t__gte=0),
                name="enterprise_capacity_not_negative",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.county_id and self.county.level != Level.COUNTY:
            raise ValidationError({"county": _("An enterprise is domiciled in a county-level authority.")})


class LicenceStatus(models.TextChoices):
    DESIGNATED = "designated", _("Designated")
    SUSPENDED = "suspended", _("Suspended")
    REVOKED = "revoked", _("Revoked")


class Licence(models.Model):
    enterprise = models.ForeignKey(Enterprise, verbose_name=_("enterprise"), on_delete=models.PROTECT, related_name="licences")
    activity = models.CharField(_("activity"), max_length=24, choices=Activity.choices)
    number = models.CharField(_("licence number"), max_length=64, unique=True)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"))
    status = models.CharField(_("status"), max_length=12, choices=LicenceStatus.choices, default=LicenceStatus.DESIGNATED)

    class Meta:
        verbose_name = _("licence")
        verbose_name_plural = _("licences")
        ordering = ["enterprise_id", "activity", "valid_from"]
        constraints = [
            models.CheckConstraint(condition=Q(valid_to__gte=models.F("valid_from")), name="licence_valid_range"),
        ]
        indexes = [models.Index(fields=["activity", "status", "valid_to"], name="licence_designated_idx")]

    def __str__(self) -> str:
        return f"{self.number} ({self.get_activity_display()})"


def exactly_one_organisation(prefix: str) -> models.CheckConstraint:
    """A row that belongs to exactly one of an authority, an enterprise or an enterprise group."""
    return models.CheckConstraint(
        condition=(
            Q(authority__isnull=False, enterprise__isnull=True, group__isnull=True)
            | Q(authority__isnull=True, enterprise__isnull=False, group__isnull=True)
            | Q(authority__isnull=True, enterprise__isnull=True, group__isnull=False)
        ),
        name=f"{prefix}_exactly_one_organisation",
    )


class OneOrganisation:
    """For models with ``authority``, ``enterprise`` and ``group`` foreign keys of which exactly one is set."""

    @property
    def organisation(self):
        return self.authority or self.enterprise or self.group


class Membership(OneOrganisation, models.Model):
    """A user's one organisation (an authority, an enterprise or an enterprise group) and one role."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership")
    role = models.CharField(_("role"), max_length=24, choices=Role.choices)
    authority = models.ForeignKey(Authority, null=True, blank=True, on_delete=models.PROTECT, related_name="members")
    enterprise = models.ForeignKey(Enterprise, null=True, blank=True, on_delete=models.PROTECT, related_name="members")
    group = models.ForeignKey(EnterpriseGroup, null=True, blank=True, on_delete=models.PROTECT, related_name="members")
    # An authority's staff manager (invited first by the ministry) invites, re-roles and deactivates its staff;
    # on the enterprise side the enterprise manager role does that.
    manages_staff = models.BooleanField(_("manages the organisation's staff"), default=False)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            exactly_one_organisation("membership"),
            models.CheckConstraint(
                condition=(
                    Q(authority__isnull=False, role__in=sorted(r.value for r in MINISTRY_ROLES | AUTHORITY_ROLES))
                    | Q(authority__isnull=True, role__in=sorted(r.value for r in ENTERPRISE_ROLES))
                ),
                name="membership_role_fits_organisation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} @ {self.organisation}"

    def clean(self) -> None:
        if self.authority_id:
            is_ministry = self.authority.level == Level.MINISTRY
            if self.role in MINISTRY_ROLES and not is_ministry:
                raise ValidationError({"role": _("Ministry roles belong to the ministry.")})
            if self.role == Role.AUTHORITY_REVIEWER and self.authority.level != Level.COUNTY:
                raise ValidationError({"role": _("Reviewers belong to a county authority.")})
            if self.role == Role.AUTHORITY_VIEWER and self.authority.level not in (Level.CITY.value, Level.PROVINCE.value, Level.COUNTY.value):
                raise ValidationError({"role": _("Viewers belong to a city, province or county authority.")})


class AuditEntry(models.Model):
    """Append-only record of a state change (or of a read of another organisation's report).

    Entries form one hash chain per organisation (``chain``, the scope path of the organisation the entry
    concerns; ``seq`` its position there): each entry hashes its content and the previous entry's hash in
    the same chain, so writers for different organisations never wait for each other. Entries written
    before the chains were split keep their single global chain, ``chain = "legacy"``. The chain heads are
    sealed with an HMAC under a key outside the database (``AuditSeal``, see organizations/audit.py).
    """

    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False
    )
    actor_username = models.CharField(_("actor"), max_length=150, blank=True)
    organisation = models.CharField(_("organisation"), max_length=160, blank=True)
    action = models.CharField(_("action"), max_length=80, db_index=True)
    object_type = models.CharField(_("object type"), max_length=80)
    object_id = models.CharField(_("object id"), max_length=64)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    # Scope: the authority path (plus "e<id>/" for an enterprise) of the organisation the entry concerns.
    scope_path = models.CharField(max_length=80, db_index=True)
    chain = models.CharField(max_length=80, default="legacy")
    seq = models.PositiveBigIntegerField(default=0)
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-id"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object_idx")]
        constraints = [models.UniqueConstraint(fields=["chain", "seq"], name="audit_chain_seq_unique")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_username} {self.action} {self.object_type}#{self.object_id}"

    def content_digest(self) -> str:
        payload = json.dumps(
            {
                "at": self.at.isoformat(),
                "actor": self.actor_id,
                "actor_username": self.actor_username,
                "organisation": self.organisation,
                "action": self.action,
                "object_type": self.object_type,
                "object_id": self.object_id,
                "before": self.before,
                "after": self.after,
                "request_id": self.request_id,
                "scope_path": self.scope_path,
            },
            sort_keys=True,
            ensure_ascii=False,
            separators=(",", ":"),
            default=str,
        )
        return hashlib.sha256((self.prev_hash + payload).encode()).hexdigest()

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError(_("Audit entries cannot be changed."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Audit entries cannot be deleted."))


class AuditSeal(models.Model):
    """An HMAC over the audit chain heads that moved since the previous seal, under ``AUDIT_SEAL_KEY``.

    The key is not in the database: whoever can write the database can rebuild a chain, but cannot make a
    seal that matches the rebuilt hashes. Each seal also covers the previous seal's MAC, and every seal is
    appended to a file outside the database (``AUDIT_SEAL_DIR``) as well.
    """

    number = models.PositiveIntegerField(_("number"), unique=True)
    at = models.DateTimeField(_("sealed at"), default=timezone.now)
    heads = models.JSONField(_("chain heads"), default=dict)  # {chain: [seq, hash]} of the chains that moved
    entries = models.PositiveBigIntegerField(_("entries"), default=0)  # entries in the database when sealed
    prev_mac = models.CharField(max_length=64, blank=True)
    key_id = models.CharField(max_length=16)
    mac = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("audit seal")
        verbose_name_plural = _("audit seals")
        ordering = ["-number"]

    def __str__(self) -> str:
        return f"#{self.number} {self.at:%Y-%m-%d %H:%M} {self.mac[:12]}"

    def payload(self) -> dict:
        """What the MAC covers (also the line written to the seal file, plus ``mac``)."""
        return {
            "number": self.number,
            "at": self.at.isoformat(),
            "heads": self.heads,
            "entries": self.entries,
            "prev_mac": self.prev_mac,
            "key_id": self.key_id,
        }

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError(_("Audit seals cannot be changed."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Audit seals cannot be deleted."))


class Notification(models.Model):
    """In-portal inbox entry for one user (e-mail copies go through Django's mail backend)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(_("kind"), max_length=40)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)
    # Natural key so a job that runs twice does not notify twice (e.g. "reminder:2025-03:ent12").
    dedup_key = models.CharField(max_length=120, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_inbox_idx")]
        constraints = [
            models.UniqueConstraint(fields=["user", "dedup_key"], condition=~Q(dedup_key=""),
                                    name="notification_unique_dedup"),
        ]

    def __str__(self) -> str:
        return self.subject


class OutboxMessage(models.Model):
    """Work that must follow a commit: written in the same transaction, dispatched to Celery after commit,
    re-dispatched by a periodic sweep if the broker refused it (see organizations/outbox.py)."""

    task_name = models.CharField(max_length=120)
    kwargs = models.JSONField(default=dict, blank=True)
    dedup_key = models.CharField(max_length=160, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        indexes = [
            models.Index(fields=["created_at"], condition=Q(dispatched_at__isnull=True), name="outbox_pending_idx"),
        ]
        constraints = [
            # one pending message per key: a burst of acceptances coalesces into one scan
            models.UniqueConstraint(fields=["dedup_key"], condition=Q(dispatched_at__isnull=True) & ~Q(dedup_key=""),
                                    name="outbox_one_pending_per_key"),
        ]

    def __str__(self) -> str:
        return f"{self.task_name}({self.kwargs})"


# --- The register of designated enterprises (issue 12) ---------------------------------------------------


class DesignationKind(models.TextChoices):
    DESIGNATE = "designate", _("Designation")
    SUSPEND = "suspend", _("Suspension")
    REINSTATE = "reinstate", _("Reinstatement")
    REVOKE = "revoke", _("Revocation")


class DecisionStatus(models.TextChoices):
    DRAFT = "draft", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class DesignationState(models.TextChoices):
    NONE = "none", _("Not designated")
    DESIGNATED = "designated", _("Designated")
    SUSPENDED = "suspended", _("Suspended")
    REVOKED = "revoked", _("Revoked")


class ImmutableOnceDecided(models.Model):
    """A decided record is never changed or deleted: corrections are new decisions."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and type(self).objects.filter(pk=self.pk).exclude(status=DecisionStatus.DRAFT).exists():
            raise ValidationError(_("A decided record cannot be changed; record a new decision instead."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Register records are never deleted."))


class RegisterImport(ImmutableOnceDecided):
    """One Excel load of the register: validated rows kept as drafted, approved (four eyes) as one batch."""

    filename = models.CharField(_("file"), max_length=200)
    rows = models.JSONField(_("rows"), default=list)
    status = models.CharField(_("status"), max_length=10, choices=DecisionStatus.choices, default=DecisionStatus.DRAFT)
    drafted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    drafted_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("register import")
        verbose_name_plural = _("register imports")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.filename} ({len(self.rows)})"


class DesignationDecision(ImmutableOnceDecided):
    """A dated ministry decision on one enterprise and one activity. Status on a date is derived from the
    approved decisions in force (organizations.register.designation_status); nothing is edited in place."""

    enterprise = models.ForeignKey(Enterprise, verbose_name=_("enterprise"), on_delete=models.PROTECT,
                                   related_name="designation_decisions")
    activity = models.CharField(_("activity"), max_length=24, choices=IndicatorType.choices)
    kind = models.CharField(_("decision"), max_length=10, choices=DesignationKind.choices)
    document_no = models.CharField(_("document number"), max_length=64)
    effective_from = models.DateField(_("in force from"))
    effective_to = models.DateField(_("until"), null=True, blank=True)
    basis = models.TextField(_("basis or reason"))
    status = models.CharField(_("status"), max_length=10, choices=DecisionStatus.choices, default=DecisionStatus.DRAFT)
    drafted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    drafted_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    register_import = models.ForeignKey(RegisterImport, null=True, blank=True, on_delete=models.PROTECT,
                                        related_name="decisions")

    class Meta:
        verbose_name = _("designation decision")
        verbose_name_plural = _("designation decisions")
        ordering = ["enterprise_id", "effective_from", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(effective_to__isnull=True) | Q(effective_to__gte=models.F("effective_from")),
                                   name="designation_range"),
        ]
        indexes = [models.Index(fields=["enterprise", "activity", "status", "effective_from"],
                                name="designation_status_idx")]

    def __str__(self) -> str:
        return f"{self.document_no} {self.get_kind_display()} {self.enterprise_id}"


class PermitKind(models.TextChoices):
    MINING = "mining", _("Mining licence")
    SAFETY = "safety", _("Safety production licence")
    DISCHARGE = "discharge", _("Pollutant discharge permit")
    RADIATION = "radiation", _("Radiation safety permit")


class AppendOnlyRecord(models.Model):
    """A register record written once: a change is a new record (``change_refused`` says so); never deleted."""

    change_refused = _("A register record cannot be changed; record a new one instead.")

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError(self.change_refused)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Register records are never deleted."))


class Permit(AppendOnlyRecord):
    """A permit as issued: typed, numbered, dated. A renewal is a new record; nothing is edited or deleted."""

    enterprise = models.ForeignKey(Enterprise, verbose_name=_("enterprise"), on_delete=models.PROTECT,
                                   related_name="permits")
    kind = models.CharField(_("permit"), max_length=12, choices=PermitKind.choices)
    number = models.CharField(_("permit number"), max_length=64)
    issuer = models.CharField(_("issuing authority"), max_length=120)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"))
    scan = models.FileField(_("scanned copy"), upload_to="permits/%Y/", blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("permit")
        verbose_name_plural = _("permits")
        ordering = ["enterprise_id", "kind", "valid_from", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(valid_to__gte=models.F("valid_from")), name="permit_valid_range"),
            models.UniqueConstraint(fields=["kind", "number"], name="permit_unique_number"),
        ]
        indexes = [models.Index(fields=["kind", "valid_to"], name="permit_expiry_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"

    change_refused = _("A permit record cannot be changed; record the renewed permit instead.")


class CapacityRecord(AppendOnlyRecord):
    """Capacity (t REO/year) of one activity from a date on, with its source. The latest in force counts."""

    enterprise = models.ForeignKey(Enterprise, verbose_name=_("enterprise"), on_delete=models.PROTECT,
                                   related_name="capacities")
    activity = models.CharField(_("activity"), max_length=24, choices=IndicatorType.choices)
    tonnes = models.DecimalField(_("capacity (t REO/year)"), max_digits=14, decimal_places=3)
    effective_from = models.DateField(_("in force from"))
    source = models.CharField(_("source"), max_length=200)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("capacity record")
        verbose_name_plural = _("capacity records")
        ordering = ["enterprise_id", "activity", "effective_from", "id"]
        constraints = [models.CheckConstraint(condition=Q(tonnes__gte=0), name="capacity_not_negative")]

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.activity} {self.tonnes}"

    change_refused = _("A capacity record cannot be changed; record a new one instead.")


class Invitation(OneOrganisation, models.Model):
    """A single-use link that lets a person create their account in one organisation with one role."""

    email = models.EmailField(_("e-mail"))
    full_name = models.CharField(_("name"), max_length=150, blank=True)
    role = models.CharField(_("role"), max_length=24, choices=Role.choices)
    manages_staff = models.BooleanField(_("manages the organisation's staff"), default=False)
    authority = models.ForeignKey(Authority, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    enterprise = models.ForeignKey(Enterprise, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    group = models.ForeignKey(EnterpriseGroup, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="+")

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-id"]
        constraints = [
            exactly_one_organisation("invitation"),
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.get_role_display()}"
class PublicationKind(models.TextChoices):
    NATIONAL_TOTALS = "national_totals", _("National totals of a year")
    DESIGNATION = "designation", _("Change of the designated list")
    PENALTY = "penalty", _("Penalty decision")


class Publication(models.Model):
    """A ministry decision to publish something on the public pages (公开): by kind and the object's key (a year
    for national totals, an id for a penalty or a designation decision). Unpublished figures stay internal."""

    kind = models.CharField(_("kind"), max_length=24, choices=PublicationKind.choices)
    key = models.CharField(_("object"), max_length=40)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField(_("published at"), default=timezone.now)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("publication")
        verbose_name_plural = _("publications")
        ordering = ["-published_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["kind", "key"], name="publication_once_per_object")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.key}"
