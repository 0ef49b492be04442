"""The command line is one family: a group per registered pathway, and the names scripts used
before the groups still run the same commands."""

from __future__ import annotations

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from domain.registry import PATHWAYS
from starter import ALIASES, app

OLD_NAMES = [
    "apply", "decide", "sign", "attend", "make-up", "coach", "submit", "review", "close",
    "withdraw", "status", "list", "summary", "check-program", "apply-roster",
    "start-commitment", "hr-event", "waive", "commitment-status",
]  # fmt: skip


def test_every_registered_pathway_has_its_group() -> None:
    groups = set(get_command(app).commands)  # type: ignore[attr-defined]
    assert {p.command_group for p in PATHWAYS.values()} <= groups


@pytest.mark.parametrize("name", OLD_NAMES)
def test_an_old_name_still_runs_and_is_hidden(name: str) -> None:
    assert name in ALIASES
    result = CliRunner().invoke(app, [name, "--help"])
    assert result.exit_code == 0, result.output
    listed = CliRunner().invoke(app, ["--help"]).output
    assert f" {name} " not in listed


def test_each_pathway_group_starts_journeys_with_the_same_verb() -> None:
    cli = get_command(app)
    for pathway in PATHWAYS.values():
        verbs = set(cli.commands[pathway.command_group].commands)  # type: ignore[attr-defined]
        assert "status" in verbs and "list" in verbs
        assert ("apply" in verbs) or (pathway.key == "service_commitment" and "start" in verbs)
