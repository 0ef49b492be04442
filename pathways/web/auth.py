"""Who is signed in to the web app, and the protections every page has.

- **Sessions** are a signed cookie (`itsdangerous`, through Starlette's session middleware)
  holding the signed-in person's actor, name, HR title and school. A session ends after
  `WEB_SESSION_IDLE_MINUTES` without a request and `WEB_SESSION_MAX_HOURS` after sign-in.
- **Sign-in** is the district's identity provider over OpenID Connect (`authlib`): the ID token's
  `OIDC_EMPLOYEE_CLAIM` names the employee, whom HR must list as active (`domain.policy.
  resolve_actor`, as for every other interface). With `WEB_LOCAL_SIGN_IN` (loopback only) the
  sign-in page lists the people of the local HR tables instead, and every page says so.
- **CSRF**: every form carries the session's token, and a state-changing request without it is
  refused before anything is read or sent.
"""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Request

from domain.policy import Viewer

SESSION_COOKIE = "pathways_session"


class SignInNeeded(Exception):
    """No one is signed in, or the session has ended."""

    def __init__(self, why: str = "") -> None:
        super().__init__(why)
        self.why = why


class CsrfRefused(Exception):
    """A state-changing request without the session's form token."""


def session_secret(configured: Path | None, data_dir: Path) -> str:
    """The key that signs session cookies: WEB_SESSION_SECRET's file, or one made on first use
    in the data folder (so sessions survive a restart of the app)."""
    path = configured or data_dir / "web" / "session_secret"
    if configured is None and not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    secret = path.read_text().strip()
    if len(secret) < 32:
        raise ValueError(f"the session secret in {path} is shorter than 32 characters")
    return secret


@dataclass(frozen=True)
class SessionRules:
    idle_seconds: int
    max_seconds: int


def csrf_token(request: Request) -> str:
    """The session's form token, made when the session first needs one."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def check_csrf(request: Request, sent: str | None) -> None:
    expected = request.session.get("csrf")
    if not isinstance(expected, str) or not sent or not hmac.compare_digest(expected, sent):
        raise CsrfRefused()


def sign_in(request: Request, viewer: Viewer, via: str, who: str) -> None:
    """Start a new session for `viewer` (a fresh token: nothing from before sign-in carries)."""
    request.session.clear()
    request.session.update(
        {
            "actor": viewer.actor,
            "name": viewer.name,
            "title": viewer.title,
            "school_id": viewer.school_id,
            "since": int(time.time()),
            "seen": int(time.time()),
            "via": via,
            "who": who,
            "checked": int(time.time()),
            "csrf": secrets.token_urlsafe(32),
        }
    )


def signed_in_as(request: Request) -> str:
    """Who the person signed in as (the id HR was asked about)."""
    who = request.session.get("who") or request.session.get("actor")
    return str(who)


def due_for_recheck(request: Request, every_seconds: int) -> bool:
    return int(time.time()) - int(request.session.get("checked", 0)) > every_seconds


def refresh(request: Request, viewer: Viewer) -> None:
    """What HR says of the signed-in person now."""
    request.session.update(
        {
            "actor": viewer.actor,
            "name": viewer.name,
            "title": viewer.title,
            "school_id": viewer.school_id,
            "checked": int(time.time()),
        }
    )


def signed_in(request: Request, rules: SessionRules) -> Viewer:
    """The signed-in person, or `SignInNeeded` when there is none or the session has ended."""
    session: dict[str, Any] = request.session
    actor = session.get("actor")
    if not isinstance(actor, str):
        raise SignInNeeded()
    now = int(time.time())
    if now - int(session.get("since", 0)) > rules.max_seconds:
        session.clear()
        raise SignInNeeded("Your session has ended; sign in again.")
    if now - int(session.get("seen", 0)) > rules.idle_seconds:
        session.clear()
        raise SignInNeeded("You were signed out after a time without activity; sign in again.")
    session["seen"] = now
    return Viewer(
        actor=actor,
        name=str(session.get("name") or actor),
        title=session.get("title"),
        school_id=session.get("school_id"),
    )


def flash(request: Request, kind: str, lines: list[str]) -> None:
    """A result to show on the next page (once)."""
    request.session["flash"] = {"kind": kind, "lines": lines}


def take_flash(request: Request) -> dict[str, Any] | None:
    found = request.session.pop("flash", None)
    return found if isinstance(found, dict) else None
