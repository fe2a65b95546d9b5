"""CLI commands for the fast (minutes-scale) physiology: meal, ogtt, export-sbml, fit-ogtt."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the meal-model commands to the main app."""
