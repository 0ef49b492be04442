"""Loading definition files (program years, fellowships, service rules): TOML in, a validated
model out, or one error naming every field that cannot work."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


def problems(error: ValidationError) -> str:
    """'field.path: what is wrong; ...' for every error pydantic found."""
    return "; ".join(
        f"{'.'.join(str(p) for p in item['loc']) or '(file)'}: "
        f"{str(item['msg']).removeprefix('Value error, ')}"
        for item in error.errors()
    )


def parse(model: type[M], data: dict[str, Any], source: str, error: type[ValueError]) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as invalid:
        raise error(f"{source} is not valid: {problems(invalid)}") from None


def load(model: type[M], path: Path, error: type[ValueError]) -> M:
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except tomllib.TOMLDecodeError as bad:
        raise error(f"{path}: not valid TOML: {bad}") from None
    return parse(model, data, str(path), error)
