"""Typed search attributes: what program staff filter journeys by in the Web UI and CLI."""

from temporalio.common import SearchAttributeKey

PATHWAY = SearchAttributeKey.for_keyword("Pathway")
PROGRAM_YEAR = SearchAttributeKey.for_keyword("ProgramYear")
LEADER_ROLE = SearchAttributeKey.for_keyword("LeaderRole")
SCHOOL_ID = SearchAttributeKey.for_keyword("SchoolId")
JOURNEY_STAGE = SearchAttributeKey.for_keyword("JourneyStage")
EMPLOYEE_ID = SearchAttributeKey.for_keyword("EmployeeId")

ALL = [PATHWAY, PROGRAM_YEAR, LEADER_ROLE, SCHOOL_ID, JOURNEY_STAGE, EMPLOYEE_ID]
