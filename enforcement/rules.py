"""Role verbs of the enforcement app (checked by services with organizations.permissions.require)."""

import rules

from organizations.rules import (
    is_any_member,
    is_authority,
    is_county_reviewer,
    is_enterprise_side,
    is_ministry,
    is_ministry_approver,
)

rules.add_perm("enforcement.view_flags", is_any_member)
rules.add_perm("enforcement.view_cases", is_ministry | is_authority | is_enterprise_side)
rules.add_perm("enforcement.resolve_flag", is_county_reviewer)
rules.add_perm("enforcement.open_case", is_county_reviewer)
rules.add_perm("enforcement.manage_case", is_county_reviewer)
rules.add_perm("enforcement.propose_penalty", is_county_reviewer)
rules.add_perm("enforcement.decide_penalty", is_county_reviewer)
# Four eyes: a second person at county level or above (another county reviewer, or a ministry approver).
rules.add_perm("enforcement.approve_penalty", is_county_reviewer | is_ministry_approver)
rules.add_perm("enforcement.submit_statement", is_enterprise_side)
rules.add_perm("enforcement.run_jobs", is_ministry)
rules.add_perm("enforcement.view_jobs", is_ministry | is_authority)
