"""Who may do what (domain.policy): each action's actors, own cases, and words for a refusal."""

from __future__ import annotations

import pytest

from domain.policy import MAY, Action, ActorRole, Case, PolicyRefusal, actor_of, authorize

CASE = Case(employee_id="e-1001", principal_id="p-001")


def refused(action: Action, who: str, case: Case = CASE) -> PolicyRefusal:
    with pytest.raises(PolicyRefusal) as caught:
        authorize(action, who, case)
    return caught.value


def test_actors_are_read_in_relation_to_the_case() -> None:
    assert actor_of("e-1001", CASE).role is ActorRole.PARTICIPANT
    assert actor_of("p-001", CASE).role is ActorRole.PRINCIPAL
    assert actor_of("e-2002", CASE).role is ActorRole.OTHER_PERSON
    assert actor_of("office:ana", CASE).role is ActorRole.PROGRAM_OFFICE
    assert actor_of("director:maya", CASE).role is ActorRole.PROGRAM_DIRECTOR
    assert actor_of("coach:lee", CASE).role is ActorRole.COACH
    assert actor_of("hris", CASE).role is ActorRole.HRIS
    assert actor_of("university", CASE).role is ActorRole.UNIVERSITY


@pytest.mark.parametrize("who", ["boss:ana", "office:", ":x"])
def test_an_actor_in_no_known_form_is_refused(who: str) -> None:
    assert refused(Action.RECORD_ATTENDANCE, who).code == "policy.unknown_actor"


def test_nobody_decides_reviews_records_or_waives_their_own_case() -> None:
    for action in (
        Action.DECIDE_APPLICATION,
        Action.REVIEW_DELIVERABLE,
        Action.RECORD_ATTENDANCE,
        Action.RECORD_COACHING,
        Action.WAIVE_REPAYMENT,
    ):
        for who in ("office:e-1001", "director:e-1001", "coach:e-1001"):
            refusal = refused(action, who)
            assert refusal.code == "policy.own_case"
            assert refusal.message == (
                f"{who} cannot {action.value} on their own journey; someone else in the "
                "program office must"
            )


def test_waivers_come_from_a_program_director_only() -> None:
    assert authorize(Action.WAIVE_REPAYMENT, "director:maya", CASE).role is (
        ActorRole.PROGRAM_DIRECTOR
    )
    for who in ("office:ana", "coach:lee", "e-1001", "p-001", "hris"):
        refusal = refused(Action.WAIVE_REPAYMENT, who)
        assert refusal.code == "policy.not_permitted"
        assert refusal.message == (
            f"{who} cannot waive a repayment: only a program director (director:<id>) can"
        )


def test_attendance_and_reviews_come_from_the_program_office() -> None:
    for action in (Action.RECORD_ATTENDANCE, Action.REVIEW_DELIVERABLE, Action.DECIDE_APPLICATION):
        authorize(action, "office:ana", CASE)
        authorize(action, "director:maya", CASE)
        for who in ("e-1001", "p-001", "coach:lee", "e-2002", "hris"):
            assert refused(action, who).code == "policy.not_permitted"


def test_the_participant_submits_and_withdraws_but_does_not_record() -> None:
    authorize(Action.SUBMIT_DELIVERABLE, "e-1001", CASE)
    authorize(Action.WITHDRAW, "e-1001", CASE)
    authorize(Action.LOG_SHADOWING, "e-1001", CASE)
    assert refused(Action.SUBMIT_DELIVERABLE, "e-2002").message == (
        "e-2002 cannot submit a deliverable: only the participant can"
    )
    assert refused(Action.WITHDRAW, "p-001").code == "policy.not_permitted"
    assert refused(Action.RECORD_ATTENDANCE, "e-1001").code == "policy.not_permitted"


def test_systems_report_only_what_they_own() -> None:
    authorize(Action.RECORD_SEPARATION, "hris", CASE)
    authorize(Action.REPORT_HR_CHANGE, "hris", CASE)
    authorize(Action.REPORT_ENROLLMENT, "university", CASE)
    assert refused(Action.REPORT_ENROLLMENT, "hris").code == "policy.not_permitted"
    assert refused(Action.RECORD_ATTENDANCE, "university").code == "policy.not_permitted"
    assert refused(Action.DECIDE_APPLICATION, "payroll").code == "policy.not_permitted"


def test_every_action_names_who_may_take_it() -> None:
    assert set(MAY) == set(Action)
    assert all(MAY[action] for action in Action)


def test_once_a_coach_is_assigned_only_that_coach_coaches() -> None:
    unassigned = Case(employee_id="e-1", principal_id="p-1")
    assigned = Case(employee_id="e-1", principal_id="p-1", coach_id="lee")
    assert authorize(Action.RECORD_COACHING, "coach:kim", unassigned).role is ActorRole.COACH
    assert authorize(Action.RECORD_COACHING, "coach:lee", assigned).role is ActorRole.COACH
    with pytest.raises(PolicyRefusal) as refused:
        authorize(Action.RECORD_COACHING, "coach:kim", assigned)
    assert refused.value.code == "policy.not_their_coachee"
    assert "coach:lee" in str(refused.value)
    # Staff still record coaching, and only staff assign the coach.
    assert authorize(Action.RECORD_COACHING, "office:ana", assigned).is_staff
    with pytest.raises(PolicyRefusal, match="only program office"):
        authorize(Action.ASSIGN_COACH, "coach:lee", unassigned)
