"""The base of every command a person or a system sends to a journey."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, model_validator


class Command(BaseModel):
    """Immutable, strict about unknown fields, trimmed text, and no NUL characters (which
    PostgreSQL cannot store in the event log)."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for name, value in data.items():
                if isinstance(value, str) and "\x00" in value:
                    raise ValueError(f"{name} must not contain NUL characters")
        return data


def _office_person(value: str) -> str:
    prefix, _, person = value.partition(":")
    if prefix not in ("office", "director") or not person:
        raise ValueError(
            "must name someone in the program office, e.g. office:ana or director:maya "
            f"(got {value!r})"
        )
    return value


OfficePerson = Annotated[str, AfterValidator(_office_person)]
"""Who in the program office decided: waivers and placements are theirs to make."""
