"""Waivers of a repayment, decided by a person in the program office with a reason.

The same rule holds wherever money is owed back (a service commitment breached, a fellowship
left early): there must be a repayment, it must not have gone to payroll yet, and a waiver
cancels all that is owed or reduces it by a stated amount.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar
from uuid import UUID

from pydantic import Field

from domain.commands import Command, OfficePerson
from domain.events import DomainEvent
from domain.money import dollars
from domain.refusals import Refusal


class WaiveRepayment(Command):
    decided_by: OfficePerson
    reason: str = Field(min_length=1)
    amount_cents: int | None = Field(None, gt=0, description="none waives all that is owed")


class RepaymentWaiver(DomainEvent):
    """What was waived, what remains, why, and who decided. Each pathway names its event."""

    waived_cents: int
    remaining_cents: int
    reason: str
    decided_by: str


W = TypeVar("W", bound=RepaymentWaiver)


def decide_waiver(
    kind: type[W],
    cmd: WaiveRepayment,
    *,
    owed_cents: int,
    determined: bool,
    sent_to_payroll: bool,
    refusal: type[Refusal],
    now: datetime,
    new_id: Callable[[], UUID],
) -> W:
    if not determined:
        raise refusal("there is no repayment to waive", code="waiver.no_repayment")
    if sent_to_payroll:
        raise refusal(
            "the repayment was already sent to payroll; a refund is needed",
            code="waiver.already_sent_to_payroll",
        )
    if owed_cents == 0:
        raise refusal("nothing is owed", code="waiver.nothing_owed")
    amount = cmd.amount_cents or owed_cents
    if amount > owed_cents:
        raise refusal(
            f"cannot waive {dollars(amount)}: {dollars(owed_cents)} is owed",
            code="waiver.exceeds_owed",
        )
    return kind(
        event_id=new_id(),
        occurred_at=now,
        waived_cents=amount,
        remaining_cents=owed_cents - amount,
        reason=cmd.reason,
        decided_by=cmd.decided_by,
    )
