"""Role predicates (django-rules). Each app declares its own verbs in its rules.py using these predicates,
e.g. ``rules.add_perm("allocations.approve_batch", is_ministry_approver)``; services call
``organizations.permissions.require(user, "allocations.approve_batch")``."""

import rules

from .models import Role
from .selectors import membership_of, role_of


def _has_role(*roles):
    names = {r.value for r in roles}

    @rules.predicate(name="has_role_" + "_or_".join(sorted(names)))
    def predicate(user):
        return role_of(user) in names

    return predicate


is_ministry_official = _has_role(Role.MINISTRY_OFFICIAL)
is_ministry_approver = _has_role(Role.MINISTRY_APPROVER)
is_ministry = _has_role(Role.MINISTRY_OFFICIAL, Role.MINISTRY_APPROVER)
is_county_reviewer = _has_role(Role.AUTHORITY_REVIEWER)
is_authority_viewer = _has_role(Role.AUTHORITY_VIEWER)
is_authority = _has_role(Role.AUTHORITY_REVIEWER, Role.AUTHORITY_VIEWER)
is_enterprise_filer = _has_role(Role.ENTERPRISE_FILER)
is_enterprise_manager = _has_role(Role.ENTERPRISE_MANAGER)
is_enterprise_side = _has_role(Role.ENTERPRISE_FILER, Role.ENTERPRISE_MANAGER)
is_any_member = _has_role(*Role)

rules.add_perm("organizations.view_audit", is_ministry | is_authority)
rules.add_perm("organizations.view_enterprises", is_any_member)

# The register (issue 12): the ministry drafts decisions, records permits and capacity; an approver approves.
rules.add_perm("organizations.draft_designation", is_ministry)
rules.add_perm("organizations.approve_designation", is_ministry_approver)
rules.add_perm("organizations.record_permit", is_ministry | is_county_reviewer)
rules.add_perm("organizations.record_capacity", is_ministry)
rules.add_perm("organizations.import_register", is_ministry)
rules.add_perm("organizations.view_register", is_ministry | is_authority)


@rules.predicate
def manages_authority_staff(user) -> bool:
    m = membership_of(user)
    return bool(m and m.authority_id and m.manages_staff)


rules.add_perm("organizations.manage_staff", is_ministry | is_enterprise_manager | manages_authority_staff)
# Publication is a decision of the ministry (national totals, designated list changes, penalty decisions).
rules.add_perm("organizations.publish", is_ministry)
