"""Typed schemas shared by every interface (CLI, Python API, web service)."""

from .person import OGTT, Labs, Person, Quantity, Series, parse_quantity

__all__ = ["OGTT", "Labs", "Person", "Quantity", "Series", "parse_quantity"]
