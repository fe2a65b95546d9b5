"""Schemathesis against the OpenAPI spec, in process (ASGI): no input may produce a server error."""

import tempfile
from pathlib import Path

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, settings  # noqa: E402

from irsim.interfaces.web.app import create_app  # noqa: E402

APP = create_app(Path(tempfile.mkdtemp(prefix="irsim-fuzz-")) / "irsim.db")
SCHEMA = schemathesis.openapi.from_asgi("/openapi.json", APP)
HEAVY = r"^/api/(simulate|report|meal)$"  # each valid example runs a simulation
cheap = SCHEMA.exclude(path_regex=HEAVY)
heavy = SCHEMA.include(path_regex=HEAVY)
SETTINGS = dict(deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))


def _no_server_error(case):
    resp = case.call(timeout=180)  # the first simulation compiles (JAX): slow on a loaded machine
    assert resp.status_code < 500, f"{case.method} {case.path}: {resp.status_code} {resp.text[:300]}"
    assert "Traceback" not in resp.text


@cheap.parametrize()
@settings(max_examples=20, **SETTINGS)
def test_no_server_errors(case):
    _no_server_error(case)


@heavy.parametrize()
@settings(max_examples=4, **SETTINGS)
def test_no_server_errors_simulating(case):
    _no_server_error(case)
