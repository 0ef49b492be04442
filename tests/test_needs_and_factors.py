"""The needs assessment (seed 000) and the success-factor placement (seed 004), as rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from domain.councils import StakeholderGroup as G
from domain.needs import SAMPLE_NEEDS, NeedsError, Offered, assess, load_needs, parse_needs
from domain.success_factors import (
    SHIPPED_FACTORS,
    FactorsError,
    Level,
    load_factors,
    place,
)


def test_a_need_is_met_only_by_a_program_for_it_with_people_in_it() -> None:
    needs = parse_needs(
        "group,need,programs,source\n"
        "teacher,teachers lead colleagues,teacher_leader,survey\n"
        "classified,supervisory skills,classified_staff_leadership,survey\n"
        "parent,early education advocacy,parent_leadership,meetings\n"
        "student,a voice in decisions,,council\n"
    )
    offered = {
        G.TEACHER: [Offered("teacher_leader", "Teacher leaders", 30)],
        G.CLASSIFIED: [Offered("classified_staff_leadership", "Classified leadership", 0)],
    }
    by_group = {a.group: a for a in assess(offered, needs)}
    assert [v.met for v in by_group[G.TEACHER].verdicts] == [True]
    assert "30 take part" in by_group[G.TEACHER].verdicts[0].why
    assert by_group[G.CLASSIFIED].verdicts[0].why.endswith("but nobody takes part")
    assert "no program for parents offers it" in by_group[G.PARENT].verdicts[0].why
    assert "any program" in by_group[G.STUDENT].verdicts[0].why
    assert by_group[G.ADMINISTRATOR].verdicts == []
    assert {a.group for a in by_group.values()} == set(G)


def test_a_needs_file_with_a_wrong_group_names_its_line(tmp_path: Path) -> None:
    with pytest.raises(NeedsError, match="line 3: group"):
        parse_needs("group,need,programs\nteacher,lead,teacher_leader\nparents,lead,\n")
    assert len(load_needs(SAMPLE_NEEDS)) >= 5


def test_placement_is_the_highest_level_whose_conditions_all_hold() -> None:
    factors = load_factors(SHIPPED_FACTORS)
    figures: dict[str, float | None] = {
        "administrators_certified_share": 0.95,
        "new_administrators_in_induction_share": 0.5,
        "teacher_leader_share": 0.08,
        "aspiring_per_100_administrators": 20.0,
        "accepted_nominations": 3.0,
        "pd_attendance_share": None,
        "program_completion_share": 0.7,
    }
    placed = {p.criterion.key: p for p in place(factors, figures)}
    assert placed["instructional_leaders"].level is Level.STATE_STANDARDS
    assert any("new_administrators_in_induction_share is 0.50, below 0.9" in w
               for w in placed["instructional_leaders"].why)  # fmt: skip
    assert placed["cultivating_leadership"].level is Level.COLLEGE_AND_CAREER
    assert placed["professional_development"].level is Level.LESS_EFFECTIVE
    assert any("has no figure" in w for w in placed["professional_development"].why)


def test_a_factors_file_naming_an_unknown_figure_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "factors.toml"
    path.write_text(
        '[[criteria]]\nkey = "x"\ntitle = "X criterion"\n[[criteria.levels]]\n'
        'level = "meeting state standards"\nall = [{ figure = "happiness", at_least = 1 }]\n'
    )
    with pytest.raises(FactorsError, match="no figure 'happiness'"):
        load_factors(path)
