"""`pathways web serve`: the program office's web app (pathways/web), on WEB_HOST:WEB_PORT."""

from __future__ import annotations

import asyncio
import os
from typing import Annotated

import typer

from pathways.cli import console, load_or_exit

web_app = typer.Typer(help="The program office's web app.")


@web_app.command("serve")
def serve(
    host: Annotated[str | None, typer.Option(help="default WEB_HOST")] = None,
    port: Annotated[int | None, typer.Option(help="default WEB_PORT")] = None,
) -> None:
    """Serve the web app (Temporal, the database and HR as configured) until Ctrl-C."""
    import signal

    from pathways.api import serve_api
    from pathways.web.app import create_web_app

    # The options are the settings' own, checked with them (local sign-in needs a loopback host).
    if host is not None:
        os.environ["WEB_HOST"] = host
    if port is not None:
        os.environ["WEB_PORT"] = str(port)
    settings = load_or_exit()

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        console.print(f"web app on http://{settings.web_host}:{settings.web_port}")
        await serve_api(create_web_app(settings), settings.web_host, settings.web_port, stop)

    asyncio.run(main())
