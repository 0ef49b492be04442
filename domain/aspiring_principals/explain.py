"""How each event of an Aspiring Principals year reads in a timeline (`audit explain`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from domain.aspiring_principals import journey as ap
from domain.coaching import assigned_in_words
from domain.events import DomainEvent

SENTENCES: Mapping[type[DomainEvent], Callable[[Any], str]] = {
    ap.CoachAssigned: assigned_in_words,
    ap.AspiringJoined: lambda e: (
        f"joined Aspiring Principals {e.program_year} (Tier I credential {e.tier1_credential_on})"
    ),
    ap.AspiringIdentified: lambda e: f"HR identified {e.full_name}, {e.role} at {e.school_id}",
    ap.AspiringIneligible: lambda e: f"not eligible: {e.reason}",
    ap.InstituteAttendanceRecorded: lambda e: f"{e.status.value} at {e.session_id}",
    ap.ShadowingPlaced: lambda e: (
        f"shadowing fellowship with {e.mentor_name} ({e.mentor_id}) at {e.mentor_school_id}"
    ),
    ap.ShadowLogged: lambda e: f"shadowed {e.hours} hours on {e.on}: {e.focus}",
    ap.VpTrainingRecorded: lambda e: f"{e.status.value} at training {e.session_id}",
    ap.CoachingSessionRecorded: lambda e: f"coaching on {e.on} with {e.coach}: {e.focus}",
    ap.AspiringWithdrawn: lambda e: f"withdrawn by {e.withdrawn_by}: {e.reason}",
    ap.AspiringYearSummed: lambda e: (
        "year closed. Completed: "
        + ("; ".join(e.completed) or "nothing")
        + (". Missing: " + "; ".join(e.missing) if e.missing else "")
    ),
    ap.AspiringNoticeSent: lambda e: f"notice to the {e.recipient}: {e.subject}",
    ap.AspiringEnded: lambda e: f"year ended: {e.outcome}",
}
