"""Role verbs of the allocations app (checked by services with organizations.permissions.require).

Both ministry roles may draft; only an approver approves, and never what they drafted themselves (four eyes,
checked in the services).
"""

import rules

from organizations.rules import is_ministry, is_ministry_approver
from organizations.selectors import membership_of

rules.add_perm("allocations.draft_plan", is_ministry)
rules.add_perm("allocations.approve_plan", is_ministry_approver)
rules.add_perm("allocations.draft_batch", is_ministry)
rules.add_perm("allocations.submit_batch", is_ministry)
rules.add_perm("allocations.approve_batch", is_ministry_approver)
rules.add_perm("allocations.propose_adjustment", is_ministry)
rules.add_perm("allocations.approve_adjustment", is_ministry_approver)
rules.add_perm("allocations.view_national", is_ministry)


@rules.predicate
def is_group_member(user) -> bool:
    m = membership_of(user)
    return bool(m and m.group_id)


rules.add_perm("allocations.file_breakdown", is_group_member)
