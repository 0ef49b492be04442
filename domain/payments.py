"""Payments: money moves once, in integer cents, under an idempotency key.

- Every payment a journey asks payroll for (a stipend, a substitute reimbursement, a term's
  financial assistance, a repayment) is recorded after payroll acknowledged it, with the key it
  was sent under and payroll's reference. The key is `<journey id>/<purpose>` (`payment_key`),
  so a retried activity, a restarted worker or a replay asks with the same key and payroll
  pays once.
- Each pathway keeps its stored event type and adds what it must say (the kind and payee of a
  teacher leader's payment, a disbursement's term); the fields below are the same everywhere.
- A repayment follows its determination and a waiver window (`domain.waivers`): a program
  director may waive until the request goes to payroll, and not after.
"""

from __future__ import annotations

from domain.events import DomainEvent


class PaymentSent(DomainEvent):
    """Base of each pathway's payment event (abstract: it has no event type)."""

    amount_cents: int
    idempotency_key: str
    payroll_reference: str


def payment_key(journey_id: str, purpose: str) -> str:
    """The idempotency key of a journey's payment: one per journey and purpose."""
    return f"{journey_id}/{purpose}"
