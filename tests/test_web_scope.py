"""What a list shows a signed-in person is what the policy lets them see: the read model's SQL
scope (`scope_of`) against `domain.policy.sees`, journey by journey."""

from __future__ import annotations

import itertools

import asyncpg

from activities.progress import Progress
from activities.readmodel import TEACHER_LEADER_PROGRESS, _progress_row, _upsert
from domain.policy import Viewer, sees
from domain.program import Role
from domain.teacher_leader.journey import Journey, Stage
from pathways.web.app import _safe_next, scope_of

PEOPLE = ["t-1", "t-2", "p-a", "p-b"]
SCHOOLS = ["school-a", "school-b"]
VIEWERS = [
    Viewer("office:ana", "Ana", "program_office"),
    Viewer("director:maya", "Maya", "program_director"),
    Viewer("coach:lee", "Lee", "coach"),
    Viewer("auditor:kay", "Kay"),
    Viewer("p-a", "Principal A", "principal", "school-a"),
    Viewer("p-b", "Principal B", "principal", "school-b"),
    Viewer("t-1", "Teacher 1", "teacher", "school-a"),
    Viewer("t-2", "Teacher 2", "teacher", "school-b"),
]


async def test_every_list_shows_exactly_what_the_policy_lets_each_viewer_see(
    pool: asyncpg.Pool,
) -> None:
    journeys = [
        Journey(employee_id=e, full_name=e, role=Role.PEER_COACH, school_id=school,
                principal_id=principal, program_year="2026-27", stage=Stage.ACTIVE)
        for e, school, principal in itertools.product(PEOPLE, SCHOOLS, ["p-a", "p-b", None])
    ]  # fmt: skip
    rows = [_progress_row(f"j/{n}", j, n) for n, j in enumerate(journeys)]
    async with pool.acquire() as conn:
        await _upsert(conn, TEACHER_LEADER_PROGRESS, rows)
    progress = Progress(pool)
    for viewer in VIEWERS:
        page = await progress.roster("2026-27", scope_of(viewer), limit=1000)
        listed = {r.journey_id for r in page.rows}
        allowed = {
            f"j/{n}"
            for n, j in enumerate(journeys)
            if sees(viewer, j.employee_id, j.school_id, j.principal_id)
        }
        assert listed == allowed, viewer
        active = {r.journey_id for r in await progress.active("2026-27", scope_of(viewer))}
        assert active == allowed, viewer


def test_after_sign_in_only_a_path_of_this_app() -> None:
    assert _safe_next("/years/2026-27?page_no=2") == "/years/2026-27?page_no=2"
    for elsewhere in ("https://evil.example", "//evil.example", "/\\evil.example", "evil", ""):
        assert _safe_next(elsewhere) == "/", elsewhere
