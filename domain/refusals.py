"""Refusals and definition errors: a stable code beside words a program officer can act on.

Every pathway's refusal (`JourneyRefusal`, `FellowshipRefusal`, `CohortRefusal`,
`AspiringRefusal`, `CommitmentRefusal`) is a `Refusal`; every definition file error is a
`DefinitionError`. The message may be reworded; the code is what an integrator matches on,
and it never changes meaning. The same reason has the same code in every pathway.

| code | the reason |
|---|---|
| actor.not_configured | a system, auditor or operator the configuration does not name |
| actor.separated | HR lists the actor as separated from the district; nothing was sent |
| actor.title_mismatch | the actor claims office:, director: or coach: but HR lists another title |
| actor.unknown | HR has no employee with the actor's id; nothing was sent |
| application.already_decided | the application was already accepted, declined or waitlisted |
| application.already_waitlisted | the application is already on the waitlist |
| application.closed | the application or nomination window has closed |
| application.cohort_not_applicable | a cohort was given for a role other than Team Lead |
| application.cohort_required | a Team Lead application names no cohort |
| application.role_not_offered | the program year does not offer the role |
| assessment.already_passed | the assessment was already passed (passed is final) |
| assessment.before_start | an attempt dated before the journey began |
| assessment.no_attempts_left | every attempt the program allows is used without a pass |
| assessment.out_of_order | an attempt dated before the last one recorded |
| assessment.retake_too_soon | a retake before the program's wait after a failed attempt |
| assessment.review_required | after the failures the program names, the review training first |
| assessment.score_out_of_range | a score outside 0 to the assessment's maximum |
| attendance.already_recorded | attendance for the session is recorded; record a make-up |
| attendance.correction_needs_reason | changing a recorded status needs the correction's reason |
| audit.archive_altered | an archived history no longer matches the digest stored with it |
| audit.unknown_stream | `audit verify` of a journey the event log holds no events for |
| badge.expired | the certification expired, or a badge given to verify is past its end |
| badge.invalid | a badge that does not verify with the district's public key |
| badge.not_yet_valid | a badge given to verify whose validity starts later |
| badge.not_awarded | a badge asked of a journey that has awarded no certificate or certification |
| career.already_employed | a hire or return for someone the career lists as employed |
| career.already_on_leave | a leave began for someone already on leave |
| career.event_id_reused | an HR event id already applied with other content |
| career.not_on_leave | a leave ended for someone the career lists as not on leave |
| career.out_of_order | an HR event dated before the last one applied that changed the same thing |
| career.separated | an HR event for someone separated, before HR reports their return |
| career.unknown_credential | a credential expired that the career does not hold |
| career.wrong_employee | an HR event sent to another employee's career |
| career.update_failed | (HTTP API) an HR event the career did not apply nor refuse: send it again |
| certification.renewal_not_open | a renewal attempt before the renewal window opens |
| coach.already_assigned | the coach assigned is already the journey's coach |
| coach.is_participant | the coach named is the journey's own participant |
| codec.bad_request | (codec server) a body that is not `{"payloads": [...]}` in proto3 JSON |
| codec.key_missing | (codec server) a payload sealed with a key the web app's ring lacks |
| codec.not_allowed | (codec server) none of the payloads is of a journey the person may see |
| codec.off | (codec server) the district's payloads are not encrypted (no `PAYLOAD_KEYS`) |
| codec.sign_in | (codec server) no web app session came with the request (401) |
| coaching.already_recorded | a coaching session on that day is already recorded |
| coaching.cycle_complete | every step of the coaching cycle is recorded |
| coaching.cycle_not_open | the coaching cycle has not opened yet |
| coaching.out_of_order | a coaching step out of planning → observation → feedback → coaching |
| coaching.unknown_cycle | no coaching cycle has that id |
| cohort.closed | enrollment in the cohort (a fellowship's, a program's seats) has ended |
| cohort.place_given_up | the person already gave up a seat or waitlist place in the cohort |
| cohort.wrong_program | a request for another program's cohort or seats |
| commitment.already_signed | that signer has already signed the joint commitment |
| commitment.deadline_passed | the joint commitment's signature deadline has passed |
| commitment.not_a_signer | only the teacher and the school's principal sign |
| commitment.not_pending | no joint commitment is awaiting signatures |
| commitment.not_signed | the action needs the joint commitment signed first |
| council.already_member | that person already sits on the council |
| council.group_full | the stakeholder group already has the members the rule allows |
| council.not_a_member | that person does not sit on the council |
| council.training_recorded | the member already completed that training topic |
| council.unknown_topic | the council's training has no such topic |
| date.in_future | a date (or a session's date) that has not come yet |
| date.outside_school_year | a date outside the program's school year |
| deliverable.already_accepted | the deliverable was already accepted (accepted is final) |
| deliverable.awaiting_review | the deliverable is submitted and awaiting review |
| deliverable.comment_required | a returned deliverable needs a comment |
| deliverable.not_awaiting_review | the deliverable is not submitted for review |
| deliverable.own_submission | the reviewer submitted the deliverable |
| deliverable.unknown | the role has no deliverable with that id |
| enrollment.closed | the fellowship's enrollment window has closed |
| enrollment.not_admitted | only an admitted fellow can enroll |
| enrollment.required | PD and milestones are recorded for enrolled fellows only |
| fix.not_waiting | `retry_after_fix` for a journey that waits on no district record's fix |
| hr.after_separation | the person separated; no further HR change applies |
| hr.not_on_leave | a leave ended for someone not on leave |
| hr.out_of_order | HR changes must arrive in order of their effective dates |
| hr.reason_required | a leave needs its reason |
| hr.role_required | a role change needs the new role |
| hr.school_required | a school transfer needs the new school |
| hr.unknown_change | an HR change the commitment does not know |
| hr.unknown_school | HR lists no school with that id; the change was not recorded |
| journey.ended | the journey (year, fellowship, commitment) has ended |
| journey.starting | the journey is still starting (looking the person up in HR); try again |
| leave.kind_not_allowed | "did not complete" is recorded by the graduation deadline, not by hand |
| log.already_logged | that day is already in the program's log (one entry per day) |
| log.amount_required | the log counts an amount (hours): give it |
| log.attendees_required | the log names who attended each time (a team training) |
| log.no_amount | the log counts entries, not amounts |
| log.over_daily_limit | more in one day than the log allows (hours of shadowing) |
| make_up.already_recorded | a make-up for the session is already recorded |
| make_up.date_out_of_range | a make-up must fall between the session and today |
| make_up.not_needed | the session was attended; there is nothing to make up |
| milestone.already_reported | the milestone was reported with another date |
| nomination.answered | the nomination was already accepted or declined |
| nomination.self | a nomination of oneself: a colleague nominates, or the person applies |
| nomination.unknown | the career has no nomination with that id |
| nomination.unknown_target | a nomination for something that is neither a pathway nor a program |
| milestone.before_enrollment | a milestone dated before the fellow enrolled |
| milestone.out_of_order | a milestone before those the program orders ahead of it |
| policy.not_permitted | this actor may not take this action (domain.policy) |
| policy.not_their_coachee | a coach acting on a journey assigned to another coach |
| policy.own_case | staff or coaches acting on their own journey |
| policy.unknown_actor | the actor is in no known form (employee id, office:, director:, coach:) |
| privacy.changed | a hold or an erasure of the person was recorded while this one was decided |
| privacy.employed | erasing someone HR does not list as separated from the district |
| privacy.erased | erasing someone whose personal data is already erased |
| privacy.grant_retention | erasing grant-funded records before 3 years after the final report |
| privacy.hold_exists | placing a legal hold with the id of one already in force |
| privacy.legal_hold | erasing someone whose records are under a legal hold |
| privacy.no_key_ring | erasing without the district's key ring (PAYLOAD_KEYS): nothing is sealed |
| privacy.no_such_hold | lifting a legal hold that is not in force |
| privacy.retention | erasing personnel records before 3 years after the separation (or undated) |
| program.no_make_ups | the course has no make-ups |
| program.note_required | the step is recorded with its words (a goal, a review) |
| program.part_not_applicable | the part is not for the participant's role or year, or a renewal |
| program.paused | the journey is paused (a leave, a role left) until HR reports a return |
| program.unknown_part | the program's definition has no part with that id |
| program.unknown_step | the ordered part has no step of that name |
| program.wrong_part_kind | the part is of another kind (a course, a log, an assessment...) |
| program.year_closed | the year is summed up; send it again once the next year has begun |
| program.waitlisted | the participant is on the program's waitlist, without a seat yet |
| rule.beyond_program | a rule's start for someone longer in the role than the program's years |
| rules.unknown_program | the enrollment rules name a program the catalog does not have |
| role.not_eligible | the person's role does not take part in this (VP/AP training) |
| selection.closed | the fellowship's selection window has closed |
| session.unknown | no session (PD, institute day, training) has that id |
| shadowing.already_logged | that day is already in the shadow log |
| shadowing.already_placed | the participant already shadows a mentor |
| shadowing.mentor_not_principal | the mentor is not a serving principal in HR |
| shadowing.not_placed | no shadowing fellowship to log: offer one first |
| shadowing.self_mentor | a participant cannot mentor themself |
| start.ineligible_title | the employee's HR title may not take this pathway; nothing was started |
| start.invalid_hr_record | HR sent a record that cannot be stored (a NUL); nothing started |
| start.school_mismatch | HR lists the employee at another school; nothing was started |
| start.separated | HR lists the employee as separated; nothing was started |
| start.unknown_employee | HR has no employee with that id; nothing was started |
| start.unknown_school | HR has no school with that id; nothing was started |
| waiver.already_sent_to_payroll | the repayment went to payroll; a refund is needed instead |
| waiver.exceeds_owed | the waiver is more than is owed |
| waiver.no_repayment | there is no repayment to waive |
| waiver.nothing_owed | nothing is owed |
| waiver.payment_in_progress | the repayment is being sent to payroll right now |
| web.system_actor | a district system (hris, university, payroll) tried to sign in to the web app |
| definition.invalid | a definition file has a field that cannot work (the message names it) |
| definition.not_toml | a definition file is not valid TOML |
| definition.unknown_program | neither a definition file nor a program the catalog ships |
| definition.unreadable | a definition file is missing or cannot be read as UTF-8 text |
"""

from __future__ import annotations

from typing import Any


class Refusal(ValueError):
    """A command a journey cannot accept: `code` for programs, the message for people."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    def __reduce__(self) -> tuple[Any, ...]:
        return _rebuild, (type(self), str(self), self.code)


class DefinitionError(ValueError):
    """A definition file (program year, fellowship, service rules) that cannot work."""

    def __init__(self, message: str, *, code: str = "definition.invalid") -> None:
        super().__init__(message)
        self.code = code

    def __reduce__(self) -> tuple[Any, ...]:
        return _rebuild, (type(self), str(self), self.code)


def _rebuild(kind: type[Refusal | DefinitionError], message: str, code: str) -> ValueError:
    return kind(message, code=code)
