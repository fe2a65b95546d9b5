"""Input errors: each problem names the field, the value given, the accepted units and range."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class InputError(ValueError):
    """Bad input, refused. ``problems`` holds one entry per problem found (all of them, not the first)."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def read_yaml(path, missing: str):
    """The parsed YAML file at ``path``; a missing or unparsable file is refused (``missing`` says what it is)."""
    from pathlib import Path

    import yaml

    p = Path(path)
    if not p.exists():
        raise InputError([Problem(str(path), missing)])
    try:
        return yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise InputError([Problem(str(path), f"cannot be parsed as YAML: {exc}")]) from None
