"""PostgreSQL stopped abruptly for 15 s under the real worker, with journeys in flight.

The short version of bench scenario 7 (`bench/outage.py`): 20 journeys start over 10 s, each
decided and signed twice and every other one closed early, all of it appended to the event
log; PostgreSQL goes down 3 s in (`pg_ctl stop -m immediate`) and comes back on the same socket.
"""

from __future__ import annotations

import pytest

from bench.outage import Timeline, one_run

JOURNEYS = 20


# Its own waits allow up to about 265 s on a loaded machine (worker start, the outage, settling):
# more than the suite's default timeout, which would leave its servers running.
@pytest.mark.timeout(420)
async def test_an_outage_loses_nothing_holds_no_task_and_logs_one_line_a_failure() -> None:
    run = await one_run(
        JOURNEYS, Timeline(outage_at=3, outage_seconds=15, spread=10, settle_limit=90)
    )
    # The outage was felt: activities failed while PostgreSQL was down and were retried.
    assert run.failure_logs > 0
    assert run.retried_activities > 0
    # Each failure is one line: rendering tracebacks held the worker's event loop before.
    assert run.traceback_lines == 0
    # No workflow task was held by the worker past Temporal's 10 s timeout, and none failed.
    # (A task left on the sticky queue past WORKER_STICKY_SECONDS also counts as timed out;
    # that follows the machine's load, with or without an outage, and scenario 7 counts it.)
    assert run.timed_out - run.sticky_timed_out == 0
    assert run.failed_tasks == 0
    # After recovery every update was answered, nothing is still retrying, and every journey's
    # events are in the log exactly once.
    assert run.refused_updates == run.unanswered == run.still_retrying == 0
    assert run.lost == run.extra == 0
    assert run.duplicate_payments == 0
    # The journeys closed early have ended; the others wait for their year.
    assert run.not_closed == JOURNEYS // 2
