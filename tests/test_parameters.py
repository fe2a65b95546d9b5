"""Parameters with provenance: every entry is a Parameter(value, unit, source) read once per file, its unit
checked with pint; the models read them through one lookup."""

import pytest

from irsim import parameters as P


@pytest.mark.parametrize("name", P.files())
def test_every_unit_is_a_pint_expression(name):
    ps = P.parameter_set(name)  # raises ParameterError naming file, key and unit of any unit pint cannot read
    for key, p in ps.items():
        assert isinstance(p, P.Parameter) and p.unit and p.source, (name, key)


def test_a_unit_pint_cannot_read_names_the_file_the_key_and_the_string():
    with pytest.raises(P.ParameterError) as e:
        P._read("demo", {"source": "x", "liver": {"gain": {"value": 0.6, "unit": "per NAS point", "source": "s"},
                                                  "tau": {"value": 0.1, "unit": "year", "source": "s"},
                                                  "half": {"value": 2.0, "unit": "1 at 150 min/week"}}})
    lines = str(e.value).splitlines()[1:]
    assert len(lines) == 2
    assert lines[0].startswith("demo.yaml: liver.gain: unit 'per NAS point'")
    assert lines[1].startswith("demo.yaml: liver.half: unit '1 at 150 min/week'")
    assert P.unit_problem("widgets") and P.unit_problem("points/year at 50") and P.unit_problem(["year", "x y"])
    assert not any(map(P.unit_problem, ["dimensionless", "1/year", "kcal/day/kg", "mg/dL", "10^9/L", ["min", "g"]]))


def test_a_parameter_keeps_value_unit_source_and_note():
    p = P.parameter_set("organs")["kidney.loss_bp"]
    assert p.unit == "1/year" and p.note == "per 10 mmHg above 120" and p.source
    assert p.unit_text == "1/year (per 10 mmHg above 120)"
    assert P.parameter_set("organs")["kidney.egfr_default_age"].unit == ("year", "mL/min")
    assert P.parameter_set("life_tables")["ages"].source.startswith("United States Life Tables")  # the file's source
    assert P.parameter_set("progression") is P.parameter_set("progression")  # read once
    assert P.flat_values("organs")["liver.tau"] == P.parameter_set("organs").value("liver.tau")
    with pytest.raises(KeyError, match="organs.yaml has no parameter 'liver.nope'"):
        P.parameter_set("organs")["liver.nope"]


def test_models_read_through_the_one_lookup():
    from irsim.models import meal, progression
    from irsim.models.organs import _common

    for c, name in ((progression.c, "progression"), (_common.c, "organs")):
        ps = P.parameter_set(name)
        assert all(c(key) is ps.value(key) for key in ps)
    assert meal._const("ogtt", "dose_g") == P.parameter_set("dalla_man_2007_common").value("ogtt.dose_g") == 75.0
