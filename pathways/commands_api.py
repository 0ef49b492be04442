"""`pathways api`: serve the HTTP API, and manage the API keys systems call it with.

pathways api serve                                  # API_HOST:API_PORT, /docs for the OpenAPI
pathways api key create hr-feed --scope hr:write --by operator:it   # NON_HR_ACTORS names it
pathways api key list
pathways api key revoke hr-feed --by operator:it
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from activities.api_keys import ApiKeyError, ApiKeys, Scope
from pathways.cli import command_database, command_hris, console, fail, load_or_exit, run_command
from pathways.config import Settings

api_app = typer.Typer(help="The HTTP API for HR systems and integrations, and its API keys.")
key_app = typer.Typer(help="API keys: each a name and scopes; only a hash is stored.")
api_app.add_typer(key_app, name="key")

Operator = Annotated[
    str, typer.Option("--by", help="who does it: an operator NON_HR_ACTORS names, e.g. operator:it")
]


@api_app.command("serve")
def serve(
    host: Annotated[str | None, typer.Option(help="default API_HOST")] = None,
    port: Annotated[int | None, typer.Option(help="default API_PORT")] = None,
) -> None:
    """Serve the API (Temporal, the database and HR as configured) until Ctrl-C."""
    from pathways.api import create_app, serve_until_signalled

    settings = load_or_exit()
    where = (host or settings.api_host, port or settings.api_port)
    serve_until_signalled(create_app(settings), *where, "API (OpenAPI at /docs)")


async def _operator(settings: Settings, by: str) -> str:
    """`--by` as the configuration vouches for them (an operator `NON_HR_ACTORS` names), if
    the policy lets them manage API keys; otherwise a refusal with its code."""
    from activities.actors import resolve
    from domain.policy import Action, Case, authorize

    async with command_hris(settings) as hris:
        actor = await resolve(hris, by, settings.non_hr_actors)
    authorize(Action.MANAGE_API_KEYS, actor, Case(employee_id=""))
    return actor


@key_app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="the calling system, e.g. hr-feed")],
    scope: Annotated[list[Scope], typer.Option("--scope", help="repeat for each scope")],
    by: Operator,
) -> None:
    """Make a key; it is printed once and only its hash is kept."""

    async def work(settings: Settings) -> None:
        who = await _operator(settings, by)
        pool = await command_database(settings)
        try:
            key = await ApiKeys(pool).create(name, set(scope), who)
        except ApiKeyError as error:
            fail(str(error))
        finally:
            await pool.close()
        console.print(
            f"API key {name} ({', '.join(sorted(scope))}); keep it now, it is not shown again:"
        )
        print(key)

    run_command(work)


@key_app.command("list")
def list_keys() -> None:
    """Every key: its name, prefix, scopes, who made it and when it was last used."""

    async def work(settings: Settings) -> None:
        pool = await command_database(settings)
        try:
            keys = await ApiKeys(pool).list()
        finally:
            await pool.close()
        table = Table("name", "prefix", "scopes", "made by", "made", "last used", "revoked")
        for k in keys:
            table.add_row(
                k.name, k.prefix, ", ".join(sorted(k.scopes)), k.created_by,
                f"{k.created_at:%Y-%m-%d}",
                f"{k.last_used_at:%Y-%m-%d %H:%M}" if k.last_used_at else "-",
                f"{k.revoked_at:%Y-%m-%d}" if k.revoked_at else "-",
            )  # fmt: skip
        console.print(table)

    run_command(work)


@key_app.command("revoke")
def revoke(name: Annotated[str, typer.Argument()], by: Operator) -> None:
    """Revoke a key: requests with it are refused (401) from now on."""

    async def work(settings: Settings) -> None:
        who = await _operator(settings, by)
        pool = await command_database(settings)
        try:
            await ApiKeys(pool).revoke(name, who)
        except ApiKeyError as error:
            fail(str(error))
        finally:
            await pool.close()
        console.print(f"revoked {name}")

    run_command(work)
