"""`pathways web serve`: the program office's web app (pathways/web), on WEB_HOST:WEB_PORT."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from pathways.cli import load_or_exit

web_app = typer.Typer(help="The program office's web app.")


@web_app.command("serve")
def serve(
    host: Annotated[str | None, typer.Option(help="default WEB_HOST")] = None,
    port: Annotated[int | None, typer.Option(help="default WEB_PORT")] = None,
) -> None:
    """Serve the web app (Temporal, the database and HR as configured) until Ctrl-C."""
    from pathways.api import serve_until_signalled
    from pathways.web.app import create_web_app

    # The options are the settings' own, checked with them (local sign-in needs a loopback host).
    if host is not None:
        os.environ["WEB_HOST"] = host
    if port is not None:
        os.environ["WEB_PORT"] = str(port)
    settings = load_or_exit()
    app = create_web_app(settings)
    serve_until_signalled(app, settings.web_host, settings.web_port, "web app")
