"""The web app's reports: each is a table (also its CSV download) and a chart of its figures,
computed from the read models and the event log for one program year."""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
from markupsafe import Markup

from activities.eventstore import EventStore
from activities.indicators import (
    CERTIFICATION,
    INDUCTION,
    catalog_participants,
    certification_of,
    pathway_participants,
    success_figures,
)
from activities.person_keys import PersonKeys
from activities.progress import Progress
from activities.readmodel import ReadModel, stipend_outcomes
from domain.career.rules import SHIPPED_RULES, Do, load_rules, roles_of
from domain.catalog.definition import catalog_files, load_program
from domain.councils import StakeholderGroup
from domain.money import dollars
from domain.needs import GROUP_LABELS, PATHWAY_GROUPS, SAMPLE_NEEDS, Offered, assess, load_needs
from domain.program import SERVICE_RULES, ProgramYear, Role
from domain.registry import PATHWAYS
from domain.service_commitment import journey as sc
from domain.service_commitment.rules import load_service_rules
from domain.service_commitment.start import SERVICE_COMMITMENT, commitment_id
from domain.success_factors import FIGURES, SHIPPED_FACTORS, Level, load_factors, place
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


@dataclass(frozen=True)
class Context:
    """What a report reads: the database, the program year asked for, the district's today,
    and the district's files (its needs, the success-factor rules, the enrollment rules)."""

    pool: asyncpg.Pool
    program: ProgramYear | None
    today: date
    needs_file: Path = SAMPLE_NEEDS
    factors_file: Path = SHIPPED_FACTORS
    rules_file: Path = SHIPPED_RULES
    people: PersonKeys | None = None
    """The district's person keys, which open the event log's personal fields."""

    def year(self) -> ProgramYear:
        if self.program is None:
            raise NoProgramYear("this report is of a program year, and the app knows none")
        return self.program


class NoProgramYear(LookupError):
    pass


Builder = Callable[[Context], Awaitable[Report]]


async def attendance(ctx: Context) -> Report:
    pool, program = ctx.pool, ctx.year()
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


async def stipends(ctx: Context) -> Report:
    pool, program = ctx.pool, ctx.year()
    outcomes = await stipend_outcomes(pool, program.program_year)
    counted = [
        ("paid", "", outcomes.paid, dollars(outcomes.paid_cents)),
        ("withheld", "", outcomes.withheld, dollars(0)),
        ("not yet decided", "", outcomes.undecided, ""),
        *(("withheld", reason, n, "") for reason, n in outcomes.reasons),
    ]
    rows = [[outcome, reason, str(n), amount] for outcome, reason, n, amount in counted]
    return Report(
        key="stipends",
        title=f"Stipends paid and withheld, {program.program_year}",
        about="Every stipend decided at the year's close, and each reason a stipend was "
        "withheld (a teacher leader may have several).",
        columns=["outcome", "reason", "teacher leaders", "amount"],
        rows=rows,
        chart=bars(
            "Stipends by outcome and withholding reason",
            [reason or outcome for outcome, reason, _, _ in counted],
            [Series("teacher leaders", [n for _, _, n, _ in counted])],
        ),
    )


async def reimbursements(ctx: Context) -> Report:
    pool, program = ctx.pool, ctx.year()
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
        ),
    )


async def nominations(ctx: Context) -> Report:
    pool = ctx.pool
    graph = nominations_graph(await career_states(EventStore(pool, ctx.people)))
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


async def certification(ctx: Context) -> Report:
    titles = roles_of(load_rules(ctx.rules_file), Do.REQUIRE, f"program:{CERTIFICATION}")
    admins = await certification_of(ctx.pool, titles)
    standings = [(a, a.standing(ctx.today)) for a in admins]
    order = ["current", "expiring", "expired", "not certified"]
    counts = Counter(s for _, s in standings)
    covered = counts["current"] + counts["expiring"]
    rows = [
        [a.employee_id, a.full_name, a.role, a.school_id or "",
         a.certified_until.isoformat() if a.certified_until else "", standing]
        for a, standing in standings
    ]  # fmt: skip
    return Report(
        key="certification",
        title=f"Evaluation Certification of administrators on {ctx.today}",
        about=f"Every administrator HR lists with a title the enrollment rules require "
        f"Evaluation Certification of ({', '.join(sorted(titles))}): certified until when, and "
        "whether it is current, expiring in the next 90 days, expired, or never held.",
        columns=["employee", "name", "role", "school", "certified until", "standing"],
        rows=rows,
        chart=bars(
            "Administrators by certification standing",
            order,
            [Series("administrators", [counts[o] for o in order])],
        ),
        notes=[
            f"Coverage: {covered} of {len(admins)} administrators hold a current "
            f"certification; {counts['expiring']} expire within 90 days."
        ],
    )


async def needs(ctx: Context) -> Report:
    definitions = [load_program(path) for path in catalog_files()]
    taking = await catalog_participants(ctx.pool)
    pathways = await pathway_participants(ctx.pool)
    offered: dict[StakeholderGroup, list[Offered]] = {g: [] for g in StakeholderGroup}
    for d in definitions:
        for group in d.stakeholder_groups:
            offered[group].append(Offered(d.key, d.title, taking.get(d.key, 0)))
    for key, groups in PATHWAY_GROUPS.items():
        for group in groups:
            offered[group].append(Offered(key, PATHWAYS[key].title, pathways.get(key, 0)))
    assessed = assess(offered, load_needs(ctx.needs_file))
    rows = []
    for a in assessed:
        label = GROUP_LABELS[a.group]
        programs = "; ".join(f"{o.title} ({o.participants})" for o in a.offered) or "none"
        if not a.verdicts:
            rows.append([label, programs, str(a.participants), "(no need recorded)", ""])
        for v in a.verdicts:
            rows.append([label, programs, str(a.participants), v.need.need,
                         ("met: " if v.met else "not met: ") + v.why])  # fmt: skip
    return Report(
        key="needs",
        title="Leadership needs assessment by stakeholder group",
        about="For each stakeholder group (seed 000): the programs that develop it and how many "
        "take part, and each need the district recorded, met or not and why.",
        columns=["group", "programs (people taking part)", "taking part", "need", "assessment"],
        rows=rows,
        chart=bars(
            "Needs per stakeholder group, met and not met",
            [GROUP_LABELS[a.group] for a in assessed],
            [
                Series("met", [len(a.verdicts) - a.unmet for a in assessed]),
                Series("not met", [a.unmet for a in assessed]),
            ],
        ),
        notes=[
            f"The needs are the district's file {ctx.needs_file.name} "
            "(NEEDS_FILE; columns group, need, programs, source)."
        ],
    )


async def success_factors(ctx: Context) -> Report:
    rules = load_rules(ctx.rules_file)
    figures = await success_figures(
        ctx.pool,
        roles_of(rules, Do.REQUIRE, f"program:{CERTIFICATION}"),
        roles_of(rules, Do.START, f"program:{INDUCTION}"),
        ctx.today,
        ctx.program.program_year if ctx.program else None,
    )
    factors = load_factors(ctx.factors_file)
    placed = place(factors, figures)
    rank = {Level.LESS_EFFECTIVE: 1, Level.STATE_STANDARDS: 2, Level.COLLEGE_AND_CAREER: 3}
    rows = [[p.criterion.title, p.level.value, "; ".join(p.why)] for p in placed]
    rows += [
        [f"figure: {name}", "" if value is None else f"{value:.2f}", FIGURES[name]]
        for name, value in figures.items()
    ]
    return Report(
        key="success-factors",
        title=f"Success-factor placement, {factors.theme}",
        about="For each criterion of seed 004, the level the pathway data supports (1 less "
        "effective practices, 2 meeting state standards, 3 college and career readiness), "
        "the conditions that put it there, and the figures.",
        columns=["criterion", "level", "why"],
        rows=rows,
        chart=bars(
            "Level supported (1 to 3)",
            [p.criterion.title for p in placed],
            [Series("level", [rank[p.level] for p in placed])],
        ),
        notes=[f"The rules are the district's file {ctx.factors_file.name} (SUCCESS_FACTORS)."],
    )


async def commitment_statuses(
    pool: asyncpg.Pool, today: date, program_id: str = "", people: PersonKeys | None = None
) -> list[Any]:
    """Every service commitment (of one fellowship program, or all), from the event log, as of
    `today`: served, remaining, the deadline, and what leaving now would cost."""
    rules = load_service_rules(SERVICE_RULES)
    store = EventStore(pool, people)
    prefix = commitment_id(program_id, "") if program_id else SERVICE_COMMITMENT.id_prefix
    found = []
    for stream in await store.stream_ids(prefix):
        events = [e.to_domain() for e in await store.read_stream(stream)]
        found.append(sc.status(sc.fold(events, rules), rules, today))
    return found


async def commitments(ctx: Context) -> Report:
    found = await commitment_statuses(ctx.pool, ctx.today, people=ctx.people)
    risks = {c.fellow_id: sc.risks(c) for c in found}
    serving = [c for c in found if c.standing is sc.Standing.SERVING]
    at_risk = [c for c in serving if risks[c.fellow_id]]
    merged = Counter(reason.split(" (")[0] for c in at_risk for reason in risks[c.fellow_id])
    rows = []
    for c in found:
        why = "; ".join(risks[c.fellow_id])
        if not why and c.standing is sc.Standing.SERVING:
            why = "on track"
        rows.append([
            c.fellow_id, c.standing.value, f"{c.role or ''} {c.school_id or ''}".strip(),
            str(c.served_months), str(c.remaining_months),
            c.deadline.isoformat() if c.deadline else "", dollars(c.owed_if_left_today_cents),
            dollars(c.owed_cents), why,
        ])  # fmt: skip
    owed = sum(c.owed_if_left_today_cents for c in at_risk)
    categories = ["on track", *sorted(merged)]
    counts = [len(serving) - len(at_risk), *(merged[k] for k in sorted(merged))]
    return Report(
        key="commitments",
        title=f"Service commitments at risk on {ctx.today}",
        about="Every fellow's service commitment: months served and remaining, the deadline, "
        "what they would owe if they left today, and why a commitment still being served is at "
        "risk (not in a qualifying role, on leave, or more months to serve than are left "
        "before the deadline).",
        columns=["fellow", "standing", "role and school", "served (months)",
                 "remaining (months)", "deadline", "owed if they left today", "owed", "risk"],
        rows=rows,
        chart=bars("Commitments being served, by risk", categories,
                   [Series("commitments", counts)]),
        notes=[f"{len(at_risk)} of {len(serving)} commitments being served are at risk; "
               f"{dollars(owed)} would be owed if those fellows left today."],
    )  # fmt: skip


REPORTS: dict[str, tuple[str, Builder]] = {
    "attendance": ("Attendance across the year's sessions", attendance),
    "stipends": ("Stipends paid and withheld, and why", stipends),
    "reimbursements": ("Substitute reimbursement per school", reimbursements),
    "nominations": ("Nominations graph", nominations),
    "commitments": ("Service commitments at risk", commitments),
    "certification": (
        "Certification coverage of administrators, and what expires in 90 days",
        certification,
    ),
    "needs": ("Needs assessment by stakeholder group (seed 000)", needs),
    "success-factors": ("Success-factor placement (seed 004)", success_factors),
}
