"""Role verbs of the reporting app (checked by services with organizations.permissions.require)."""

import rules

from organizations.rules import is_authority, is_county_reviewer, is_enterprise_side, is_ministry

rules.add_perm("reporting.file", is_enterprise_side)
rules.add_perm("reporting.review", is_county_reviewer)
rules.add_perm("reporting.certify", is_authority)
rules.add_perm("reporting.view_summaries", is_ministry | is_authority)
rules.add_perm("reporting.view_reports", is_ministry | is_authority | is_enterprise_side)
rules.add_perm("reporting.close_year", is_ministry)
