"""`pathways sample-year`: on any day, definitions that are in progress around it, written as
files the loaders read back unchanged, with the walkthrough's dates in the past and in order."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path

from domain.aspiring_principals.program import load_aspiring_year
from domain.fellowship.program import load_fellowship
from domain.program import SAMPLE_PROGRAM, load_program_year
from pathways.sample_year import PROGRAM_TIME_ZONE, sample_definitions, write_samples
from tests.test_cli import run

# Every fifth day over three years (a leap day among them), and the edges of a year.
DAYS = [date(2026, 1, 1) + timedelta(days=n) for n in range(0, 3 * 366, 5)] + [
    date(2028, 2, 29),
    date(2026, 12, 31),
    date(2027, 1, 1),
]


def start_of(day: date) -> datetime:
    return datetime.combine(day, time(0), PROGRAM_TIME_ZONE)


def test_the_walkthrough_day_falls_inside_every_definition() -> None:
    for day in DAYS:
        try:
            check_in_progress(day)
        except AssertionError as error:
            raise AssertionError(f"on {day}: {error}") from error


def check_in_progress(day: date) -> None:
    samples = sample_definitions(day)
    past = day - timedelta(days=2)  # over in every time zone, whatever the hour
    tomorrow = start_of(day + timedelta(days=1))

    tl = samples.teacher_leader
    assert tl.starts <= day <= tl.ends
    summer = tl.session("summer-1")
    assert summer is not None and summer.on <= past
    mid_year = tl.cycle("mid-year")
    assert mid_year is not None and mid_year.opens <= past < mid_year.due
    assert tomorrow < tl.application_deadline < tl.commitment_deadline < tl.year_closes_at
    assert tl.program_year == f"{tl.starts.year}-{(tl.starts.year + 1) % 100:02d}"
    sample = load_program_year(SAMPLE_PROGRAM)
    assert [s.on.weekday() for s in tl.sessions] == [s.on.weekday() for s in sample.sessions]

    fs = samples.fellowship
    assert tomorrow < fs.selection_closes_at < fs.enrollment_closes_at
    assert fs.enrollment_closes_at.date() < fs.terms[0].starts_on
    assert fs.program_id == f"plf-{fs.terms[0].starts_on.year}"

    ap = samples.aspiring
    institute_day = ap.institute_day("institute-day-1")
    training = ap.training("vp-evaluation")
    assert institute_day is not None and institute_day.on <= past
    assert training is not None and training.on <= past
    assert ap.school_year_starts <= past and tomorrow < ap.closes_at

    d = samples.dates
    assert d.enrolled_on < day
    for shadow_or_coaching in (d.shadow_day, d.coaching_day):
        assert ap.school_year_starts <= shadow_or_coaching <= past
    assert d.graduated_on < d.transfer_on < d.leave_start_on < d.leave_end_on
    assert d.leave_end_on < d.separated_on <= past


def test_the_written_files_load_back_as_the_same_definitions(tmp_path: Path) -> None:
    samples = sample_definitions(date(2026, 12, 2))
    paths = write_samples(samples, tmp_path / "sample")

    assert load_program_year(paths["teacher_leader"]) == samples.teacher_leader
    assert load_fellowship(paths["fellowship"]) == samples.fellowship
    assert load_aspiring_year(paths["aspiring"]) == samples.aspiring
    variables = dict(
        line.split("=", 1)
        for line in paths["dates"].read_text("utf-8").splitlines()
        if not line.startswith("#")
    )
    assert variables == samples.shell_variables()
    assert variables["TEACHER_LEADER_YEAR"] == "2026-27"
    assert variables["FELLOWSHIP_PROGRAM"] == "plf-2027"


def test_the_command_writes_definitions_its_checks_accept(tmp_path: Path) -> None:
    out = tmp_path / "sample"

    written = run("sample-year", "--out", str(out), "--day", "2027-03-15")

    assert written.returncode == 0, written.stderr
    assert f"wrote {out / 'teacher_leader.toml'}: Teacher Leader Pathways 2026-27" in written.stdout
    assert "applications close 2027-03-29 17:00" in written.stdout
    checked = run("check-program", "--program", str(out / "teacher_leader.toml"))
    assert checked.returncode == 0, checked.stderr
    fellowship = run("fellowship", "check", "--program", str(out / "fellowship.toml"))
    assert fellowship.returncode == 0, fellowship.stderr
    assert fellowship.stdout.startswith("Partnership Leadership Fellows @ UCLA PLI, cohort 2027")


def test_a_day_that_is_not_a_date_is_one_line() -> None:
    result = run("sample-year", "--day", "2027-02-30")

    assert result.returncode == 2
    assert result.stderr == "error: --day takes a date, YYYY-MM-DD (got '2027-02-30')\n"
