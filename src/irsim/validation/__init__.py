"""Validation suite: published targets (``validation/targets.yaml``), study protocols that reproduce each
study's population and protocol with the progression model (:mod:`.studies`, :mod:`.organ_studies`, :mod:`.reversal_studies`, :mod:`.medicine_studies`, on the
machinery of :mod:`.protocol`; :mod:`.suite` loads and runs them), and the report
(``docs/validation.md``, :mod:`.report`). Studies outside the targets, measured and never counted:
:mod:`.outside` (``irsim validate --outside``).

    irsim validate [--quick] [--only NAME] [--out docs/validation.md] [--seed N]
    python -m irsim validate --quick

The suite measures; it never tunes. Heavy imports (JAX) happen when a protocol runs.
"""

from __future__ import annotations

from . import targets

__all__ = ["targets", "run", "STUDIES"]

#: Study protocols, in report order (the registry is :data:`irsim.validation.suite.PROTOCOLS`; this list is
#: here so that argument checks need no JAX import).
STUDIES = ("whitehall", "ukpds", "ukpds_arms", "classes", "conversion", "dpp")
STUDIES = STUDIES + ("organs_liver", "organs_lipids", "organs_kidney", "organs_hormones", "organs_vessels")  # organ_studies.py
STUDIES = STUDIES + ("counterpoint", "steven")  # reversal_studies.py
STUDIES = STUDIES + ("semaglutide_mechanism", "sustain1", "surpass1", "step2", "step1", "surpass2", "surmount1",  # medicine_studies.py
                     "pioglitazone_mechanism", "actnow_pioglitazone", "belfort", "pioglitazone_lipids", "treat_to_target", "adopt",
                     "hirst_monotherapy", "sglt2_uge", "empareg_mono")


def run(names=None, n=None, quick=False, seed=0, out="docs/validation.md", progress=None, plots=True,
        parameters=None, replicates=1):
    """Run the protocols and write the report; returns ``(results, report_path)``. ``parameters``
    (``{"section.name": value}``) makes a sensitivity run with other parameter values; the report says so.
    ``replicates``: also run seeds ``seed + 1 ... seed + replicates - 1``; the report gives each seed's pass counts
    and the rows whose result changes with the seed (the results returned are ``seed``'s)."""
    from ..models.core import parameters_in_force
    from . import report, suite

    with parameters_in_force(dict(parameters or {})):
        runs = [suite.run_all(names, n=n, quick=quick, seed=s, progress=progress)
                for s in range(seed, seed + int(replicates))]
    path = report.write(runs[0], targets.load(), out, plots=plots, quick=quick, overrides=parameters,
                        replicates=runs[1:] or None)
    return runs[0], path
