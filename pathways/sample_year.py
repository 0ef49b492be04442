"""Sample definitions in progress around a given day, for trying Pathways on real servers.

The shipped samples (`domain/programs/*.toml`) describe fixed years; on the Temporal dev
server, which runs in real time, their sessions and deadlines are wherever the calendar put
them. `sample_definitions(day)` moves each sample by whole weeks (so sessions keep their
weekdays) until `day` falls inside it, then moves the deadlines a newcomer needs forward:

- teacher leaders: the Summer Institute and the first seminar are over and the mid-year
  coaching cycle is open; applications close in 2 weeks and the joint commitment is due in 6.
- fellowship: selection closes in 2 weeks and enrollment 4 weeks later, as in the sample;
  the terms, PD and graduation follow.
- aspiring principals: the Summer Institute and the first VP/AP training are over and the
  school year has begun; the year closes next summer.

`walkthrough_dates` names the days the README's commands use (a shadow day, a coaching day,
a service commitment's graduation and HR changes), all in the past and in order. Each
definition is validated by its own model, as `check-program` and `fellowship check` do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import tomli_w
from pydantic import BaseModel

from domain.aspiring_principals.program import (
    SAMPLE_ASPIRING,
    AspiringPrincipalsYear,
    load_aspiring_year,
)
from domain.catalog.definition import ProgramDefinition, catalog_files, load_program
from domain.fellowship.program import SAMPLE_FELLOWSHIP, FellowshipProgram, load_fellowship
from domain.program import SAMPLE_PROGRAM, ProgramYear, load_program_year

PROGRAM_TIME_ZONE = ZoneInfo("America/Los_Angeles")
DEADLINE_TIME = time(17, 0)
APPLICATIONS_OPEN = timedelta(days=14)
COMMITMENT_OPEN = timedelta(days=42)
PAST_ANCHOR = timedelta(days=7)

FILES = {
    "teacher_leader": "teacher_leader.toml",
    "fellowship": "fellowship.toml",
    "aspiring": "aspiring_principals.toml",
    "dates": "walkthrough.env",
}


def today_in(zone: ZoneInfo = PROGRAM_TIME_ZONE) -> date:
    return datetime.now(zone).date()


def _weeks_until(start: date, target: date) -> int:
    """Whole weeks (as days) that move `start` onto `target` or up to six days before it."""
    return ((target - start).days // 7) * 7


def _deadline(day: date) -> datetime:
    return datetime.combine(day, DEADLINE_TIME, PROGRAM_TIME_ZONE)


def _year_label(starts: date) -> str:
    return f"{starts.year}-{(starts.year + 1) % 100:02d}"


def teacher_leader_year(day: date) -> ProgramYear:
    sample = load_program_year(SAMPLE_PROGRAM)
    mid_year = min(sample.coaching_cycles, key=lambda c: c.opens)
    days = _weeks_until(mid_year.opens, day - PAST_ANCHOR)
    moved = sample.shifted(days, program_year=_year_label(sample.starts + timedelta(days=days)))
    return ProgramYear.model_validate(
        {
            **moved.model_dump(),
            "application_deadline": _deadline(day + APPLICATIONS_OPEN),
            "commitment_deadline": _deadline(day + COMMITMENT_OPEN),
        }
    )


def fellowship_program(day: date) -> FellowshipProgram:
    sample = load_fellowship(SAMPLE_FELLOWSHIP)
    selection = day + APPLICATIONS_OPEN
    days = (selection - sample.selection_closes_at.date()).days  # terms keep their gaps
    enrollment = sample.enrollment_closes_at.date() + timedelta(days=days)
    moved = sample.shifted(days)
    cohort = moved.terms[0].starts_on.year
    return FellowshipProgram.model_validate(
        {
            **moved.model_dump(),
            "program_id": f"plf-{cohort}",
            "title": f"Partnership Leadership Fellows @ UCLA PLI, cohort {cohort}",
            "selection_closes_at": _deadline(selection),
            "enrollment_closes_at": _deadline(enrollment),
        }
    )


def aspiring_year(day: date) -> AspiringPrincipalsYear:
    sample = load_aspiring_year(SAMPLE_ASPIRING)
    first_training = min(sample.vp_training, key=lambda s: s.on)
    days = _weeks_until(first_training.on, day - PAST_ANCHOR)
    moved = sample.shifted(days)
    label = _year_label(sample.school_year_starts + timedelta(days=days))
    return AspiringPrincipalsYear.model_validate({**moved.model_dump(), "program_year": label})


#: How far into its year a catalog program's sample is: its first sessions are over.
CATALOG_INTO_YEAR = timedelta(weeks=10)


def catalog_programs(day: date) -> dict[str, ProgramDefinition]:
    """The catalog's definitions, all moved by the same whole weeks so that their years began
    ten weeks before `day` (the first sessions are over, enrollment is open)."""
    shipped = [load_program(path) for path in catalog_files()]
    days = _weeks_until(min(d.starts for d in shipped), day - CATALOG_INTO_YEAR)
    return {d.key: d.shifted(days) for d in shipped}


@dataclass(frozen=True)
class WalkthroughDates:
    """The days the README's commands name, each in the past on the day they were made for."""

    shadow_day: date
    coaching_day: date
    enrolled_on: date
    commitment_program: str
    graduated_on: date
    transfer_on: date
    leave_start_on: date
    leave_end_on: date
    separated_on: date


def walkthrough_dates(day: date, aspiring: AspiringPrincipalsYear) -> WalkthroughDates:
    # A fellow who graduated two summers ago from an earlier cohort, then transferred, took a
    # semester of full-time study, and left the district last week.
    graduated = date(day.year - 2, 6, 15)
    return WalkthroughDates(
        shadow_day=aspiring.school_year_starts + timedelta(days=2),
        coaching_day=min(s.on for s in aspiring.vp_training) + timedelta(days=1),
        enrolled_on=day - timedelta(days=1),
        commitment_program=f"plf-{graduated.year - 1}",
        graduated_on=graduated,
        transfer_on=date(graduated.year, 9, 1),
        leave_start_on=date(graduated.year + 1, 1, 10),
        leave_end_on=date(graduated.year + 1, 6, 10),
        separated_on=day - PAST_ANCHOR,
    )


@dataclass(frozen=True)
class SampleDefinitions:
    day: date
    teacher_leader: ProgramYear
    fellowship: FellowshipProgram
    aspiring: AspiringPrincipalsYear
    dates: WalkthroughDates
    catalog: dict[str, ProgramDefinition]

    def shell_variables(self) -> dict[str, str]:
        d = self.dates
        return {
            "TEACHER_LEADER_YEAR": self.teacher_leader.program_year,
            "FELLOWSHIP_PROGRAM": self.fellowship.program_id,
            "ASPIRING_YEAR": self.aspiring.program_year,
            "ENROLLED_ON": d.enrolled_on.isoformat(),
            "SHADOW_DAY": d.shadow_day.isoformat(),
            "COACHING_DAY": d.coaching_day.isoformat(),
            "COMMITMENT_PROGRAM": d.commitment_program,
            "GRADUATED_ON": d.graduated_on.isoformat(),
            "TRANSFER_ON": d.transfer_on.isoformat(),
            "LEAVE_START_ON": d.leave_start_on.isoformat(),
            "LEAVE_END_ON": d.leave_end_on.isoformat(),
            "SEPARATED_ON": d.separated_on.isoformat(),
            "CATALOG_YEAR": next(iter(self.catalog.values())).school_year,
            "TODAY": self.day.isoformat(),
        }


def sample_definitions(day: date) -> SampleDefinitions:
    aspiring = aspiring_year(day)
    return SampleDefinitions(
        day=day,
        teacher_leader=teacher_leader_year(day),
        fellowship=fellowship_program(day),
        aspiring=aspiring,
        dates=walkthrough_dates(day, aspiring),
        catalog=catalog_programs(day),
    )


def _toml_value(value: Any) -> Any:
    """What tomli-w can write: no None (a missing key means the default), Decimal as text
    (the loaders read "0.80" exactly), enums as their values."""
    if isinstance(value, dict):
        return {str(k): _toml_value(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_toml_value(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    return value


def to_toml(definition: BaseModel, heading: str) -> str:
    comment = "".join(f"# {line}\n" for line in heading.splitlines())
    return comment + "\n" + tomli_w.dumps(_toml_value(definition.model_dump()))


def write_samples(samples: SampleDefinitions, folder: Path) -> dict[str, Path]:
    """Write the three definitions and the walkthrough's dates; returns the paths by kind."""
    folder.mkdir(parents=True, exist_ok=True)
    made = f"written by `pathways sample-year` for {samples.day} ({PROGRAM_TIME_ZONE.key})"
    paths = {kind: folder / name for kind, name in FILES.items()}
    for kind, definition, title in (
        ("teacher_leader", samples.teacher_leader, "Teacher Leader Pathways"),
        ("fellowship", samples.fellowship, "Fellowship program"),
        ("aspiring", samples.aspiring, "Aspiring Principals year"),
    ):
        heading = f"{title}, a sample in progress: {made}.\nA calendar for trying Pathways out."
        paths[kind].write_text(to_toml(definition, heading), encoding="utf-8")
    catalog = folder / "catalog"
    catalog.mkdir(exist_ok=True)
    for key, program in samples.catalog.items():
        paths[f"catalog/{key}"] = catalog / f"{key}.toml"
        heading = f"{program.title}, a sample in progress: {made}."
        paths[f"catalog/{key}"].write_text(to_toml(program, heading), encoding="utf-8")
    lines = [f"# The README walkthrough's ids and dates, {made}."]
    lines += [f"{name}={value}" for name, value in samples.shell_variables().items()]
    paths["dates"].write_text("\n".join(lines) + "\n", encoding="utf-8")
    return paths


def _when(moment: datetime) -> str:
    return moment.astimezone(PROGRAM_TIME_ZONE).strftime("%Y-%m-%d %H:%M")


def describe(samples: SampleDefinitions, paths: dict[str, Path]) -> list[str]:
    """One line a file: what was written and the dates that matter on the day."""
    tl, fs, ap = samples.teacher_leader, samples.fellowship, samples.aspiring
    mid_year = min(tl.coaching_cycles, key=lambda c: c.opens)
    return [
        f"wrote {paths['teacher_leader']}: Teacher Leader Pathways {tl.program_year} "
        f"({tl.starts} to {tl.ends}); {tl.sessions[0].session_id} was on {tl.sessions[0].on}, "
        f"the {mid_year.cycle_id} coaching cycle opened {mid_year.opens}; applications close "
        f"{_when(tl.application_deadline)}, the joint commitment is due "
        f"{_when(tl.commitment_deadline)}, the year closes {_when(tl.year_closes_at)}",
        f"wrote {paths['fellowship']}: {fs.program_id}; selection closes "
        f"{_when(fs.selection_closes_at)}, enrollment closes {_when(fs.enrollment_closes_at)}, "
        f"the first term starts {fs.terms[0].starts_on}",
        f"wrote {paths['aspiring']}: Aspiring Principals {ap.program_year}; "
        f"{ap.summer_institute[0].session_id} was on {ap.summer_institute[0].on}, the school "
        f"year started {ap.school_year_starts}, the year closes {_when(ap.closes_at)}",
        f"wrote {paths['dates'].parent / 'catalog'}/: "
        + ", ".join(
            f"{d.title} {d.school_year} (from {d.starts})" for d in samples.catalog.values()
        ),
        f"wrote {paths['dates']}: the walkthrough's ids and dates (in a shell: . {paths['dates']})",
    ]
