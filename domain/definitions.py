"""Loading definition files (program years, fellowships, service rules): TOML in, a validated
model out, or one error naming every field that cannot work."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from domain.refusals import DefinitionError

M = TypeVar("M", bound=BaseModel)


def problems(error: ValidationError) -> str:
    """'field.path: what is wrong; ...' for every error pydantic found."""
    return "; ".join(
        f"{'.'.join(str(p) for p in item['loc']) or '(file)'}: "
        f"{str(item['msg']).removeprefix('Value error, ')}"
        for item in error.errors()
    )


def parse(model: type[M], data: dict[str, Any], source: str, error: type[DefinitionError]) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as invalid:
        raise error(
            f"{source} is not valid: {problems(invalid)}", code="definition.invalid"
        ) from None


def load(model: type[M], path: Path, error: type[DefinitionError]) -> M:
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except tomllib.TOMLDecodeError as bad:
        raise error(f"{path}: not valid TOML: {bad}", code="definition.not_toml") from None
    except UnicodeDecodeError:
        raise error(f"{path}: not UTF-8 text", code="definition.unreadable") from None
    except OSError as unreadable:
        reason = unreadable.strerror or str(unreadable)
        raise error(f"{path}: cannot be read: {reason}", code="definition.unreadable") from None
    return parse(model, data, str(path), error)
