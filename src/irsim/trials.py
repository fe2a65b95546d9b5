"""Virtual trials from a spec: ``irsim.Trial.read("examples/trials/dpp.yaml").run(out="out/dpp")`` (docs/trials.md).

The run (:mod:`irsim.cohort.trial`), its endpoints (:mod:`irsim.analysis.endpoints`) and its report
(:mod:`irsim.reporting.trial`) put together; `irsim trial` calls the same. Research and education software.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from .cohort import trial as engine
from .cohort.trial_spec import TrialSpec


class Trial:
    """A trial spec and how to run it; :meth:`run` returns the summary (``summary.json``)."""

    def __init__(self, spec: TrialSpec):
        self.spec = spec

    @classmethod
    def read(cls, path: str | Path) -> "Trial":
        return cls(TrialSpec.read(path))

    @classmethod
    def parse(cls, data) -> "Trial":
        return cls(TrialSpec.parse(data))

    def run(self, out: str | Path, workers: int | None = None, scheduler: str | None = None,
            shard_size: int | None = None, resume: bool = False, progress: Callable[[int, int], None] | None = None,
            report: bool = True) -> dict:
        """Simulate every shard not yet written in ``out`` (here, on ``workers`` new local Dask processes, or on the
        cluster at ``scheduler``), then write ``summary.json`` and, with ``report``, ``report.html`` and
        ``incidence.png``. ``progress(done, total)`` after each shard."""
        from .analysis.endpoints import summarise

        plan = engine.simulate(self.spec, out, workers, scheduler, shard_size, resume, progress)
        persons = engine.read_persons(out)
        summary = summarise(self.spec, persons)
        engine.finish(out, plan, summary)
        if report:
            from .reporting.trial import write_report

            write_report(self.spec, summary, persons, Path(out))
        return summary
