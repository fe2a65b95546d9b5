"""The validation suite: every protocol module loaded (each registers its protocols in
:data:`irsim.validation.protocol.PROTOCOLS`), run on shared cohorts."""

from __future__ import annotations

from typing import Callable

from . import studies  # noqa: F401  (first: the core studies lead the report)
from . import organ_studies  # noqa: F401
from . import reversal_studies  # noqa: F401
from . import medicine_studies  # noqa: F401
from .protocol import FULL_N, PROTOCOLS, QUICK_N, Cohorts, StudyResult

# report order (the modules above, in that order), whichever protocol module a caller imported first
_MODULES = [m.__name__ for m in (studies, organ_studies, reversal_studies, medicine_studies)]
_ordered = sorted(PROTOCOLS.items(), key=lambda kv: _MODULES.index(kv[1].fn.__module__)
                  if kv[1].fn.__module__ in _MODULES else len(_MODULES))
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
