"""Schemathesis against the OpenAPI spec, in process (ASGI): no input may produce a server error.

One pytest item per API operation, each with its own node id (``test_no_server_errors[POST /api/assess]``), so that
pytest-xdist can schedule them by id."""

import re
import tempfile
from pathlib import Path

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from irsim.interfaces.web.app import create_app  # noqa: E402

APP = create_app(Path(tempfile.mkdtemp(prefix="irsim-fuzz-")) / "irsim.db")
SCHEMA = schemathesis.openapi.from_asgi("/openapi.json", APP)
HEAVY = re.compile(r"^/api/(simulate|report|meal)$")  # each valid example runs a simulation
OPERATIONS = {op.label: op for op in (r.ok() for r in SCHEMA.get_all_operations())}
SETTINGS = dict(deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))


def _fuzz(label: str, examples: int) -> None:
    """Valid and invalid inputs (both of schemathesis's generation modes) to one operation."""
    op = OPERATIONS[label]
    modes = schemathesis.GenerationMode

    @given(case=st.one_of(op.as_strategy(modes.POSITIVE), op.as_strategy(modes.NEGATIVE)))
    @settings(max_examples=examples, **SETTINGS)
    def check(case):
        resp = case.call(timeout=180)  # the first simulation compiles (JAX): slow on a loaded machine
        assert resp.status_code < 500, f"{case.method} {case.path}: {resp.status_code} {resp.text[:300]}"
        assert "Traceback" not in resp.text

    check()


@pytest.mark.parametrize("label", [k for k, op in OPERATIONS.items() if not HEAVY.match(op.path)])
def test_no_server_errors(label):
    _fuzz(label, 20)


@pytest.mark.parametrize("label", [k for k, op in OPERATIONS.items() if HEAVY.match(op.path)])
def test_no_server_errors_simulating(label):
    _fuzz(label, 4)
