"""`pathways deploy`: which build of the workers new journeys start on (Worker Versioning).

pathways deploy build-id        # the build id of the code in this folder
pathways deploy status          # every build, which is current, how many journeys each runs
pathways deploy promote BUILD   # new journeys start on BUILD; running ones stay where they are
"""

from __future__ import annotations

import getpass
import socket
from typing import Annotated

import typer
from rich.table import Table

from pathways.cli import command_client, console, run_command
from pathways.config import Settings
from pathways.deploy import describe, promote, running_on, worker_version

deploy_app = typer.Typer(
    help="Operators: the builds of the workers, and which one new journeys start on.",
    no_args_is_help=True,
)


@deploy_app.command("build-id")
def build_id() -> None:
    """The build id of this code: PATHWAYS_BUILD_ID, or the package version and git commit."""

    async def work(settings: Settings) -> None:
        console.print(worker_version(settings).build_id)

    run_command(work)


@deploy_app.command("status")
def status() -> None:
    """Every build of the deployment, which one is current, and the journeys each still runs."""

    async def work(settings: Settings) -> None:
        client = await command_client(settings)
        state = await describe(client, settings.deployment_name)
        table = Table(title=f"deployment {state.name}")
        for column in ("build", "status", "since", "running journeys"):
            table.add_column(column)
        for build in state.builds:
            running = await running_on(client, state.name, build.build_id)
            since = build.since.isoformat(timespec="seconds") if build.since else ""
            table.add_row(build.build_id, build.status, since, str(running))
        console.print(table)
        console.print(f"new journeys start on: {state.current or 'unversioned workers'}")

    run_command(work)


@deploy_app.command("promote")
def promote_build(
    build: Annotated[
        str | None, typer.Argument(help="the build to make current; this code's when left out")
    ] = None,
    allow_missing_queues: Annotated[
        bool,
        typer.Option(
            "--allow-missing-queues",
            help="a build whose workers do not poll every queue the current build's do "
            "(rolling back to a build from before the bulk queue)",
        ),
    ] = False,
) -> None:
    """Make a build current: new journeys start on it, commitments move to it as they continue
    as new, running journeys stay on their own build."""

    async def work(settings: Settings) -> None:
        client = await command_client(settings)
        target = build or worker_version(settings).build_id
        who = f"{getpass.getuser()}@{socket.gethostname()}"
        previous = await promote(
            client, settings.deployment_name, target, identity=who,
            allow_missing_queues=allow_missing_queues,
        )  # fmt: skip
        console.print(
            f"current build of {settings.deployment_name}: {target}"
            + (f" (was {previous})" if previous and previous != target else "")
        )

    run_command(work)
