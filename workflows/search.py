"""Typed search attributes: what program staff filter journeys by in the Web UI and CLI.

The names are the domain's (`domain.pathway.SEARCH_ATTRIBUTES`); every journey carries all six.
"""

from temporalio import workflow
from temporalio.common import SearchAttributeKey

with workflow.unsafe.imports_passed_through():
    from domain.pathway import SEARCH_ATTRIBUTES

EMPLOYEE_ID, PATHWAY, PROGRAM_YEAR, SCHOOL_ID, LEADER_ROLE, JOURNEY_STAGE = (
    SearchAttributeKey.for_keyword(name) for name in SEARCH_ATTRIBUTES
)

ALL = [PATHWAY, PROGRAM_YEAR, LEADER_ROLE, SCHOOL_ID, JOURNEY_STAGE, EMPLOYEE_ID]
