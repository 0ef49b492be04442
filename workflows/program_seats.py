"""The seats of a catalog program with `seats = N`: one workflow per program and school year
(`seats/<program key>/<school year>`) decides every seat, so two claims at the same moment
cannot both take the last one.

The first journey's claim starts it (update-with-start, from the `claim_program_seat`
activity). It takes claims and releases until enrollment closes; a seat given back before then
is offered to the first on the waitlist, whose journey hears `seat_offered`. Then it records
who was seated and who was still waiting, and ends.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.catalog import seats as rules
    from domain.catalog.seats import (
        ClaimProgramSeat,
        Place,
        ProgramSeatBook,
        ReleaseProgramSeat,
        SeatOffer,
        SeatOffered,
        SeatsInput,
        SeatsRefusal,
        seats_id,
    )
    from workflows import district, steps
    from workflows.engine import JourneyWorkflow

__all__ = ["ProgramSeats"]


@workflow.defn(name="ProgramSeats")
class ProgramSeats(JourneyWorkflow[ProgramSeatBook, ProgramSeatBook]):
    refusal = SeatsRefusal
    fold = staticmethod(rules.evolve)

    @workflow.init
    def __init__(self, inp: SeatsInput) -> None:
        self.inp = inp
        self.begin(rules.new_book(inp))

    @workflow.run
    async def run(self, inp: SeatsInput) -> ProgramSeatBook:
        await steps.wait_until(lambda: False, inp.closes_at)
        await workflow.wait_condition(workflow.all_handlers_finished)
        self.record(rules.close(self.state, workflow.now(), workflow.uuid4))
        await self.journal.flush()
        # Journeys whose place lapsed at the same moment give it back now; nothing is offered.
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.state

    @workflow.update
    async def claim(self, cmd: ClaimProgramSeat) -> Place:
        self.record(
            rules.decide_claim(self.state, self.inp, cmd, workflow.now(), workflow.uuid4),
            actor=cmd.journey_id,
        )
        await self.journal.flush()
        answer = self.state.answer(cmd.employee_id)
        assert answer is not None
        return answer

    @claim.validator
    @steps.refuses
    def _validate_claim(self, cmd: ClaimProgramSeat) -> None:
        rules.decide_claim(self.state, self.inp, cmd, workflow.now(), district.nil_id)

    @workflow.update
    async def release(self, req: ReleaseProgramSeat) -> None:
        events = rules.decide_release(
            self.state, req.employee_id, req.reason, workflow.now(), workflow.uuid4
        )
        while events:
            self.record(events)
            await self.journal.flush()
            offered = next((e for e in events if isinstance(e, SeatOffered)), None)
            if offered is None:
                return
            journey = self.state.journeys[offered.employee_id]
            try:
                await workflow.get_external_workflow_handle(journey).signal(
                    "seat_offered", SeatOffer(seat=offered.seat)
                )
                return
            except Exception:  # that journey has ended: offer the seat to the next in line
                events = rules.decide_release(
                    self.state,
                    offered.employee_id,
                    "the journey had ended when the seat was offered",
                    workflow.now(),
                    workflow.uuid4,
                )

    @release.validator
    @steps.refuses
    def _validate_release(self, req: ReleaseProgramSeat) -> None:
        own = seats_id(self.inp.program_key, self.inp.school_year)
        if req.seats_id != own:
            raise SeatsRefusal(
                f"these are the seats {own}, not {req.seats_id}", code="cohort.wrong_program"
            )

    @workflow.query
    def roster(self) -> ProgramSeatBook:
        return self.state
