"""Typed search attributes: what program staff filter journeys by in the Web UI and CLI.

The names are the domain's (`domain.pathway.SEARCH_ATTRIBUTES`); every journey carries all six,
and `WaitingOnFix` while it waits on a fix of a district record.
"""

from temporalio import workflow
from temporalio.common import SearchAttributeKey

with workflow.unsafe.imports_passed_through():
    from domain.pathway import SEARCH_ATTRIBUTES, WAITING_ON_FIX

EMPLOYEE_ID, PATHWAY, PROGRAM_YEAR, SCHOOL_ID, LEADER_ROLE, JOURNEY_STAGE = (
    SearchAttributeKey.for_keyword(name) for name in SEARCH_ATTRIBUTES
)

#: Only while the journey waits on a district record's fix (`workflows.district.Fixes`).
WAITING_ON = SearchAttributeKey.for_keyword(WAITING_ON_FIX)

ALL = [PATHWAY, PROGRAM_YEAR, LEADER_ROLE, SCHOOL_ID, JOURNEY_STAGE, EMPLOYEE_ID, WAITING_ON]
