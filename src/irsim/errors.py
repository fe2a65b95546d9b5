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
        raise parse_refusal(path, exc) from None


def parse_refusal(path, exc: Exception) -> InputError:
    """A JSON or YAML file its parser refuses, as "could not read PATH: it is not valid JSON (line, column: what)"."""
    import json

    if isinstance(exc, json.JSONDecodeError):
        where = f" (line {exc.lineno}, column {exc.colno}: {exc.msg[:1].lower()}{exc.msg[1:]})"
        return InputError([Problem(f"could not read {path}", f"it is not valid JSON{where}")])
    mark, problem = getattr(exc, "problem_mark", None), getattr(exc, "problem", None)
    where = f" (line {mark.line + 1}, column {mark.column + 1}: {problem})" if mark and problem else ""
    return InputError([Problem(f"could not read {path}", f"it is not valid YAML{where}")])
