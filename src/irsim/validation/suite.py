"""The validation suite: every protocol module loaded (each registers its protocols in
:data:`irsim.validation.protocol.PROTOCOLS`), run on shared cohorts."""

from __future__ import annotations

from typing import Callable

from . import studies  # noqa: F401  (first: the core studies lead the report)
from . import organ_studies  # noqa: F401
from . import reversal_studies  # noqa: F401
from . import STUDIES
from .protocol import FULL_N, PROTOCOLS, QUICK_N, Cohorts, StudyResult

# report order (irsim.validation.STUDIES), whichever protocol module a caller imported first
_ordered = {name: PROTOCOLS[name] for name in STUDIES if name in PROTOCOLS}
_ordered.update({name: p for name, p in PROTOCOLS.items() if name not in _ordered})
PROTOCOLS.clear()
PROTOCOLS.update(_ordered)

__all__ = ["FULL_N", "PROTOCOLS", "QUICK_N", "run_all"]


def run_all(names=None, n: int | None = None, quick: bool = False, seed: int = 0,
            progress: Callable[[str, str], None] | None = None) -> list[StudyResult]:
    """Run the named protocols (all by default) on shared cohorts; ``progress(name, 'start'|'done')``."""
    names = list(PROTOCOLS) if not names else list(names)
    unknown = [x for x in names if x not in PROTOCOLS]
    if unknown:
        raise KeyError(f"unknown study {', '.join(unknown)}; known: {', '.join(PROTOCOLS)}")
    n = int(n) if n is not None else (QUICK_N if quick else FULL_N)
    cohorts = Cohorts(seed)
    results = []
    for name in names:
        if progress:
            progress(name, "start")
        results.append(PROTOCOLS[name].run(n, seed, cohorts))
        if progress:
            progress(name, "done")
    return results
