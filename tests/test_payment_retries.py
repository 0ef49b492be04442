"""Exactly one payment through Temporal retries, against a real HTTP payroll."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    import pytest
    from temporalio.client import Client, WorkflowFailureError
    from temporalio.exceptions import ActivityError, ApplicationError
    from temporalio.worker import Worker

    from activities.external import ExternalActivities
    from activities.http_systems import HttpHris, HttpMailer, HttpPayroll, open_http_client
    from domain.external import PaymentKind, PaymentReceipt, PaymentRequest
    from tests.fake_district import FakeDistrict

PAYMENT_RETRIES = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_attempts=5)


@workflow.defn(name="test_pay_once")
class PayOnce:
    @workflow.run
    async def run(self, request: PaymentRequest) -> PaymentReceipt:
        return await workflow.execute_activity_method(
            ExternalActivities.request_payment,
            request,
            start_to_close_timeout=timedelta(seconds=10),
            retry_policy=PAYMENT_RETRIES,
        )


@pytest.fixture
async def worker(client: Client, task_queue: str, base_url: str) -> AsyncIterator[Worker]:
    async with open_http_client(2) as http:
        external = ExternalActivities(
            HttpHris(base_url, http), HttpPayroll(base_url, http), HttpMailer(base_url, http)
        )
        async with Worker(
            client,
            task_queue=task_queue,
            workflows=[PayOnce],
            activities=external.activities(),
        ) as running:
            yield running


def stipend() -> PaymentRequest:
    return PaymentRequest(
        idempotency_key=f"stipend:2027:T-100:{uuid.uuid4().hex[:8]}",
        kind=PaymentKind.STIPEND,
        payee_id="T-100",
        amount_cents=150_000,
        memo="Teacher leader stipend, first installment",
    )


async def pay(client: Client, task_queue: str, request: PaymentRequest) -> PaymentReceipt:
    return await client.execute_workflow(
        PayOnce.run,
        request,
        id=f"pay-{request.idempotency_key}",
        task_queue=task_queue,
        execution_timeout=timedelta(minutes=2),
    )


async def test_two_500s_then_200_pays_once(
    client: Client, task_queue: str, district: FakeDistrict, worker: Worker
) -> None:
    district.payroll.fail_next(2)
    request = stipend()
    receipt = await pay(client, task_queue, request)
    assert district.payroll.attempts == 3
    assert list(district.payroll.records) == [request.idempotency_key]
    assert receipt.payroll_reference == district.payroll.records[request.idempotency_key].reference
    assert not receipt.duplicate


async def test_lost_response_still_pays_once(
    client: Client, task_queue: str, district: FakeDistrict, worker: Worker
) -> None:
    district.payroll.fail_next(1, after_recording=True)
    request = stipend()
    receipt = await pay(client, task_queue, request)
    assert district.payroll.attempts == 2
    assert list(district.payroll.records) == [request.idempotency_key]
    assert receipt.payroll_reference == district.payroll.records[request.idempotency_key].reference
    # Payroll already had it when the retry arrived: the retry reports a duplicate.
    assert receipt.duplicate


async def test_refused_payment_fails_without_retrying(
    client: Client, task_queue: str, district: FakeDistrict, worker: Worker
) -> None:
    district.payroll_max_amount_cents = 100_000
    with pytest.raises(WorkflowFailureError) as failed:
        await pay(client, task_queue, stipend())
    activity_error = failed.value.cause
    assert isinstance(activity_error, ActivityError)
    cause = activity_error.cause
    assert isinstance(cause, ApplicationError)
    assert cause.type == "ExternalSystemRefused"
    assert cause.non_retryable
    assert "exceeds the per-payment limit" in cause.message
    assert district.payroll.attempts == 1
    assert district.payroll.records == {}
