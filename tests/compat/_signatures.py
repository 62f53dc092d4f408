"""Helpers comparing our compat classes' signatures with lime's."""

from __future__ import annotations

import inspect


def comparable_parameters(function) -> list[tuple]:
    """(name, kind, default) of every parameter except our keyword-only additions."""
    return [
        (p.name, p.kind, p.default)
        for p in inspect.signature(function).parameters.values()
        if p.kind is not inspect.Parameter.KEYWORD_ONLY
    ]


def public_methods(cls) -> list[str]:
    """Names of the public functions defined on ``cls`` (inherited ones included)."""
    return sorted(name for name, _ in inspect.getmembers(cls, inspect.isfunction) if name[0] != "_")
