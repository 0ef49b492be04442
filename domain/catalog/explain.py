"""How each event of a catalog program's journey reads in an auditor's timeline."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from domain.catalog import events as ev
from domain.catalog import seats
from domain.coaching import assigned_in_words
from domain.events import DomainEvent
from domain.money import dollars


def _enrolled(e: ev.ProgramEnrolled) -> str:
    if e.certified_until is not None:
        return (
            f"holds the {e.program_title} certification until {e.certified_until}; renewal "
            f"cycle {e.cycle - 1} began"
        )
    carried = f", {e.carried_hours} unpaid hours carried" if e.carried_hours else ""
    return (
        f"enrolled in {e.program_title} {e.school_year}, year {e.year_in_program}, by "
        f"{e.enrolled_by}{carried}"
    )


def _completed(e: ev.ProgramCompleted) -> str:
    award = f"; awarded {e.award}" if e.award else ""
    expires = f", valid until {e.expires_on}" if e.expires_on else ""
    return (
        f"completed {e.title} on {e.completed_on} ({e.hours} hours, provider {e.provider}; "
        f"competencies: {', '.join(e.competencies) or 'none listed'}){award}{expires}"
    )


def _year(e: ev.YearClosed) -> str:
    if e.complete:
        return f"year {e.year_in_program} closed complete ({e.hours} hours)"
    return f"year {e.year_in_program} closed incomplete: " + "; ".join(e.missing)


SENTENCES: Mapping[type[DomainEvent], Callable[[Any], str]] = {
    ev.CoachAssigned: assigned_in_words,
    ev.ProgramEnrolled: _enrolled,
    ev.ParticipantIdentified: lambda e: (
        f"HR identified the participant: {e.full_name}, {e.role}"
        + (f" at {e.school_id}" if e.school_id else "")
    ),
    ev.ProgramIneligible: lambda e: f"not eligible: {e.reason}",
    ev.SessionMarked: lambda e: (
        f"{e.part_id}: {e.status.value} at {e.session_id}"
        + (f" (corrected: {e.correction_reason})" if e.correction_reason else "")
    ),
    ev.SessionMadeUp: lambda e: f"{e.part_id}: {e.session_id} made up on {e.made_up_on}",
    ev.LogEntryRecorded: lambda e: (
        f"{e.part_id}: logged {e.on}"
        + (f", {e.amount}" if e.amount is not None else "")
        + (f", attended by {', '.join(e.attendees)}" if e.attendees else "")
        + (f": {e.note}" if e.note else "")
    ),
    ev.WorkSubmitted: lambda e: f"{e.deliverable_id} submitted by {e.submitted_by}",
    ev.WorkReviewed: lambda e: (
        f"{e.deliverable_id} " + ("accepted" if e.accepted else f"returned: {e.comment}")
    ),
    ev.StepTaken: lambda e: f"{e.cycle_id}: {e.step}" + (f": {e.note}" if e.note else ""),
    ev.AssessmentScored: lambda e: (
        f"{e.part_id}: attempt {e.attempt} on {e.taken_on} scored {e.score} of {e.max_score}, "
        + ("passed" if e.passed else "not passed")
    ),
    ev.MilestoneMarked: lambda e: f"{e.part_id}: reported achieved on {e.achieved_on}",
    ev.PartCompleted: lambda e: (
        f"completed {e.title} on {e.completed_on} ({e.hours} hours, {e.provider})"
    ),
    ev.ProgramPaused: lambda e: f"paused from {e.effective_on}: {e.reason}",
    ev.ProgramRoleChanged: lambda e: (
        f"HR: the participant's title is {e.role} from {e.effective_on}"
    ),
    ev.ProgramResumed: lambda e: f"resumed from {e.effective_on}: {e.reason}",
    ev.ProgramWithdrawn: lambda e: (
        ("separated" if e.separated else "withdrawn") + f" on {e.effective_on}: {e.reason}"
    ),
    ev.YearClosed: _year,
    ev.ProgramCompleted: _completed,
    ev.CertificationRenewed: lambda e: (
        f"{e.title} renewed on {e.renewed_on}, valid until {e.expires_on}"
    ),
    ev.CertificationExpired: lambda e: f"{e.title} expired on {e.expired_on}",
    ev.StipendPaid: lambda e: (
        f"stipend ({e.basis}) paid: {dollars(e.amount_cents)}"
        + (f" for {e.hours} hours" if e.hours is not None else "")
        + f", key {e.idempotency_key}, reference {e.payroll_reference}"
    ),
    ev.HoursLapsed: lambda e: f"{e.hours} unpaid hours from {e.earned_in} lapsed",
    ev.ProgramNoticeSent: lambda e: f"notice to the {e.recipient}: {e.subject}",
    ev.ProgramEnded: lambda e: f"journey ended: {e.outcome}",
    ev.CouncilMemberSeated: lambda e: (
        f"{e.part_id}: {e.full_name} ({e.member_id}) seated as {e.group.value} by {e.seated_by}"
    ),
    ev.CouncilMemberLeft: lambda e: f"{e.part_id}: {e.member_id} left the council: {e.reason}",
    ev.CouncilTrainingRecorded: lambda e: (
        f"{e.part_id}: {e.member_id} completed the {e.topic} training on {e.on}"
    ),
    ev.ProgramCheckpoint: lambda e: (
        f"{e.title} on {e.on}: "
        + ("on track" if not e.missing else "still missing " + "; ".join(e.missing))
    ),
    seats.SeatTaken: lambda e: (
        f"seat {e.seat} of {e.capacity}"
        + (", offered from the waitlist" if e.from_waitlist else "")
    ),
    seats.Waitlisted: lambda e: (
        f"all {e.capacity} seats taken: number {e.position} on the waitlist"
    ),
    seats.NotSeated: lambda e: f"not seated: {e.reason}",
    # The seats' own stream (`seats/<key>/<school year>`).
    seats.SeatClaimed: lambda e: (
        f"{e.employee_id}: seat {e.seat}"
        if e.seat is not None
        else f"{e.employee_id}: waitlist place {e.waitlist_position}"
    ),
    seats.SeatReleased: lambda e: f"{e.employee_id} gave up a place: {e.reason}",
    seats.SeatOffered: lambda e: f"seat {e.seat} offered to {e.employee_id} from the waitlist",
    seats.EnrollmentClosed: lambda e: (
        f"enrollment closed: {len(e.seated)} seated, {len(e.waitlist_expired)} still waiting"
    ),
}
