"""How each event of a service commitment reads in an auditor's timeline (`audit explain`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from domain.events import DomainEvent
from domain.money import dollars
from domain.service_commitment import journey as sc


def _repayment(e: sc.RepaymentDetermined) -> str:
    c = e.computation
    return (
        f"repayment determined: {dollars(c.owed_cents)} ({c.explanation}); served "
        f"{c.served_months} of {c.obligation_months} months, credited {c.credited_months} "
        f"({c.crediting.value}), assistance {dollars(c.assistance_cents)}"
    )


SENTENCES: Mapping[type[DomainEvent], Callable[[Any], str]] = {
    sc.CommitmentStarted: lambda e: (
        f"service commitment of {e.obligation_years} years began "
        f"on graduation {e.graduated_on}; assistance {dollars(e.assistance_cents)}; "
        f"deadline {e.deadline}"
    ),
    sc.RoleChanged: lambda e: f"role changed to {e.role} from {e.effective_on}",
    sc.SchoolTransferred: lambda e: f"transferred to {e.school_id} from {e.effective_on}",
    sc.LeaveStarted: lambda e: (
        f"leave ({e.reason}) from {e.effective_on}" + (", clock paused" if e.defers else "")
    ),
    sc.LeaveEnded: lambda e: f"leave ended {e.effective_on}",
    sc.SeparationRecorded: lambda e: f"separated on {e.effective_on}: {e.reason}",
    sc.ServiceVerified: lambda e: (
        f"anniversary {e.anniversary}: HR reports {e.hr_role} at "
        f"{e.hr_school_id} ({e.hr_status}); "
        + ("matches" if e.matches else "DIFFERS from the record")
    ),
    sc.ObligationCompleted: lambda e: (
        f"obligation completed on {e.completed_on} ({e.served_months} months)"
    ),
    sc.ObligationBreached: lambda e: f"obligation breached on {e.breached_on}: {e.reason}",
    sc.RepaymentDetermined: _repayment,
    sc.RepaymentWaived: lambda e: (
        f"waived {dollars(e.waived_cents)} by {e.decided_by}: "
        f"{e.reason}; {dollars(e.remaining_cents)} remains"
    ),
    sc.RepaymentRequested: lambda e: (
        f"payroll asked for {dollars(e.amount_cents)}, key "
        f"{e.idempotency_key}, reference {e.payroll_reference}"
    ),
    sc.CommitmentNoticeSent: lambda e: f"notice to the {e.recipient}: {e.subject}",
    sc.CommitmentEnded: lambda e: f"commitment ended: {e.outcome}",
}
