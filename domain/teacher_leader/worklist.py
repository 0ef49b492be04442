"""What program staff work through, read off teacher leader journeys' state: what still blocks
each stipend, who is on a session's attendance sheet, and the review queues.

The rules are the journey's own (`stipend_blockers`, `Stage`, the program year's calendar); this
module only asks them about many journeys at once, for the web app's lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from domain.attendance import AttendanceStatus
from domain.deliverables import DeliverableStatus
from domain.program import PDSession, ProgramYear
from domain.teacher_leader.events import Signer
from domain.teacher_leader.journey import Journey, Stage, stipend_blockers


def blockers(j: Journey, program: ProgramYear | None, today: date | None = None) -> list[str]:
    """What withholds the stipend (at the year's close) or would, as things stand (mid-year);
    nothing to say before the teacher leader has a role or without the program year's rules."""
    undecided = (Stage.APPLIED, Stage.WAITLISTED, Stage.DECLINED, Stage.LAPSED)
    if j.role is None or program is None or j.stage in undecided:
        return []
    return stipend_blockers(j, program, final=j.year_closed or not j.is_open, today=today)


@dataclass(frozen=True)
class SheetLine:
    """One person on a session's attendance sheet, with what is recorded for them."""

    journey_id: str
    employee_id: str
    full_name: str
    school_id: str
    recorded: AttendanceStatus | None
    made_up_on: str | None


def on_sheet(j: Journey, session: PDSession) -> bool:
    """Whether the journey's teacher leader is expected at the session: an active teacher leader
    of a role the session is for (a closed year keeps its sheet as it was)."""
    return j.role is not None and j.stage is Stage.ACTIVE and session.applies_to(j.role)


def sheet_line(journey_id: str, j: Journey, session: PDSession) -> SheetLine:
    mark = j.attendance.get(session.session_id)
    return SheetLine(
        journey_id=journey_id,
        employee_id=j.employee_id,
        full_name=j.full_name,
        school_id=j.school_id,
        recorded=mark.status if mark else None,
        made_up_on=mark.made_up_on.isoformat() if mark and mark.made_up_on else None,
    )


#: The review queues: applications to decide, deliverables to review, signatures awaited.
KINDS = ("applications", "deliverables", "signatures")


@dataclass(frozen=True)
class Waiting:
    """One item in a review queue (`kind`, one of `KINDS`): whose journey, and what waits."""

    journey_id: str
    employee_id: str
    full_name: str
    school_id: str
    kind: str
    what: str
    item_id: str = ""


def waiting_on_office(journey_id: str, j: Journey, program: ProgramYear | None) -> list[Waiting]:
    """What the program office owes the journey: a decision on the application, a review of each
    submitted deliverable."""
    found: list[Waiting] = []
    who = (journey_id, j.employee_id, j.full_name, j.school_id)
    if j.stage in (Stage.APPLIED, Stage.WAITLISTED) and j.employee_id:
        found.append(Waiting(*who, kind="applications", what="application to decide"))
    for deliverable_id, state in sorted(j.deliverables.items()):
        if state.status is DeliverableStatus.SUBMITTED:
            title = deliverable_id
            if program is not None and j.role is not None:
                item = program.deliverable(j.role, deliverable_id)
                title = item.title if item else deliverable_id
            found.append(
                Waiting(
                    *who, kind="deliverables", what=f"deliverable to review: {title}",
                    item_id=deliverable_id,
                )
            )  # fmt: skip
    return found


def awaiting_signatures(journey_id: str, j: Journey) -> list[Waiting]:
    """The joint commitment's signatures still missing, one item per signer."""
    if j.stage is not Stage.COMMITMENT_PENDING:
        return []
    who = (journey_id, j.employee_id, j.full_name, j.school_id)
    return [
        Waiting(*who, kind="signatures", what=f"{s.value}'s signature", item_id=s.value)
        for s in j.awaiting_signatures
    ]


def owed_by(item: Waiting, j: Journey, person_id: str) -> bool:
    """Whether the signature `item` awaits is `person_id`'s to give: the teacher's own, or the
    principal's of the teacher's school."""
    signer = j.employee_id if item.item_id == Signer.TEACHER else j.principal_id
    return signer == person_id
