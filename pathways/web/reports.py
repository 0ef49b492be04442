"""The web app's reports: each is a table (also its CSV download) and a chart of its figures,
computed from the read models and the event log for one program year."""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import asyncpg
from markupsafe import Markup

from activities.eventstore import EventStore
from activities.progress import Progress
from activities.readmodel import ReadModel, stipend_outcomes
from domain.money import dollars
from domain.program import ProgramYear, Role
from pathways.career_reports import career_states, nominations_graph
from pathways.web.charts import Series, bars


@dataclass(frozen=True)
class Report:
    key: str
    title: str
    about: str
    columns: list[str]
    rows: list[list[str]]
    chart: Markup
    notes: list[str] = field(default_factory=list)

    def csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(self.columns)
        writer.writerows(self.rows)
        return out.getvalue()


Builder = Callable[[asyncpg.Pool, ProgramYear], Awaitable[Report]]


async def attendance(pool: asyncpg.Pool, program: ProgramYear) -> Report:
    progress = Progress(pool)
    counts = await progress.attendance_counts(program.program_year)
    expected = await progress.expected_by_role(program.program_year)
    rows, present, absent, made_up, missing = [], [], [], [], []
    for s in sorted(program.sessions, key=lambda s: s.on):
        due = sum(n for role, n in expected.items() if s.applies_to(Role(role)))
        c = counts.get(s.session_id, {})
        unrecorded = max(0, due - sum(c.values()))
        rows.append(
            [s.on.isoformat(), s.title, str(due), str(c.get("present", 0)),
             str(c.get("absent", 0)), str(c.get("made_up", 0)), str(unrecorded)]
        )  # fmt: skip
        present.append(c.get("present", 0))
        absent.append(c.get("absent", 0))
        made_up.append(c.get("made_up", 0))
        missing.append(unrecorded)
    labels = [f"{r[0]} {r[1]}" for r in rows]
    return Report(
        key="attendance",
        title=f"Attendance across the {program.program_year} sessions",
        about="Each session of the year: who was expected (teacher leaders of the roles it is "
        "for), present, absent without a make-up, absent and made up, and not yet recorded.",
        columns=["date", "session", "expected", "present", "absent", "made up", "unrecorded"],
        rows=rows,
        chart=bars(
            "Attendance per session",
            labels,
            [
                Series("present", present),
                Series("absent", absent),
                Series("made up", made_up),
                Series("unrecorded", missing),
            ],
        ),
    )


async def stipends(pool: asyncpg.Pool, program: ProgramYear) -> Report:
    outcomes = await stipend_outcomes(pool, program.program_year)
    rows = [
        ["paid", "", str(outcomes.paid), dollars(outcomes.paid_cents)],
        ["withheld", "", str(outcomes.withheld), dollars(0)],
        ["not yet decided", "", str(outcomes.undecided), ""],
    ]
    rows += [["withheld", reason, str(n), ""] for reason, n in outcomes.reasons]
    return Report(
        key="stipends",
        title=f"Stipends paid and withheld, {program.program_year}",
        about="Every stipend decided at the year's close, and each reason a stipend was "
        "withheld (a teacher leader may have several).",
        columns=["outcome", "reason", "teacher leaders", "amount"],
        rows=rows,
        chart=bars(
            "Stipends by outcome and withholding reason",
            ["paid", "withheld", "not yet decided", *(r for r, _ in outcomes.reasons)],
            [
                Series(
                    "teacher leaders",
                    [
                        outcomes.paid,
                        outcomes.withheld,
                        outcomes.undecided,
                        *(n for _, n in outcomes.reasons),
                    ],
                )
            ],
        ),
    )


async def reimbursements(pool: asyncpg.Pool, program: ProgramYear) -> Report:
    found = await ReadModel(pool).reimbursements_by_school(program.program_year)
    rows = [
        [r.school_id, str(r.teacher_leaders), f"{r.substitute_days:g}", dollars(r.amount_cents)]
        for r in found
    ]
    return Report(
        key="reimbursements",
        title=f"Substitute reimbursement per school, {program.program_year}",
        about="What the partner reimburses each school for substitutes on the days its teacher "
        "leaders attended sessions in person (decided at the year's close).",
        columns=["school", "teacher leaders", "substitute days", "amount"],
        rows=rows,
        chart=bars(
            "Reimbursement per school (dollars)",
            [r.school_id for r in found],
            [Series("reimbursement", [r.amount_cents / 100 for r in found])],
            unit="",
        ),
    )


async def nominations(pool: asyncpg.Pool, program: ProgramYear) -> Report:
    graph = nominations_graph(await career_states(EventStore(pool)))
    edges = graph["edges"]
    rows = [
        [e["from"], e["to"], e["target"], e["on"], e["answer"], e["journey_id"] or "",
         e["journey_outcome"] or ""]
        for e in edges
    ]  # fmt: skip
    per = Counter((e["target"], e["answer"]) for e in edges)
    targets = sorted({t for t, _ in per})
    answers = sorted({a for _, a in per})
    return Report(
        key="nominations",
        title="Nominations: who brought whom along",
        about="Every nomination across the district's careers (all years): who nominated whom "
        "for what, the answer, and the journey it led to. Reasons stay on the career.",
        columns=["nominator", "nominee", "for", "on", "answer", "journey", "outcome"],
        rows=rows,
        chart=bars(
            "Nominations per pathway, by answer",
            targets,
            [Series(a, [per.get((t, a), 0) for t in targets]) for a in answers],
        ),
    )


REPORTS: dict[str, tuple[str, Builder]] = {
    "attendance": ("Attendance across the year's sessions", attendance),
    "stipends": ("Stipends paid and withheld, and why", stipends),
    "reimbursements": ("Substitute reimbursement per school", reimbursements),
    "nominations": ("Nominations graph", nominations),
}
