"""Export the Dalla Man 2007 meal model (irsim.models.meal) with one person's parameters as SBML L3V2.

The exported model is the same system as :func:`irsim.models.meal.rhs` for a single oral dose ``D`` at
t=0 (``Qsto1(0) = D``, the last-dose memory ``D`` constant): 12 states as non-constant parameters with
rate rules, algebraic quantities (G, I, Ra, EGP, Uid, E, S, HE, kempt) as assignment rules, and the
switches written with the SBML L3V2 ``max`` function (exact max, as in the JAX model; a ``piecewise``
form made libroadrunner stall at t=0+, where dG/dt starts exactly at 0). The basal state and derived
parameters are computed by irsim (:func:`irsim.models.meal.knobs_to_params`) and written as numbers.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from irsim.models import meal as M


def _smax(a: str, b: str) -> str:
    return f"max({a}, {b})"


# assignment rules (order matters only for readability; SBML sorts them)
_RULES = [
    ("G", "Gp / VG"),
    ("I", "Ip / VI"),
    ("Qsto", "Qsto1 + Qsto2"),
    ("aa", "5 / (2 * D * (1 - b))"),
    ("cc", "5 / (2 * D * d)"),
    ("kempt", "kmin + (kmax - kmin) / 2 * (tanh(aa * (Qsto - b * D)) - tanh(cc * (Qsto - d * D)) + 2)"),
    ("Ra", "f * kabs * Qgut / BW"),
    ("EGP", _smax("kp1 - kp2 * Gp - kp3 * Id - kp4 * Ipo", "0")),
    ("Uid", "(Vm0 + Vmx * X) * Gt / (Km0 + Gt)"),
    ("E", "ke1 * " + _smax("Gp - ke2", "0")),
    ("dGp", "EGP + Ra - Fcns - E - k1 * Gp + k2 * Gt"),
    ("S", "gamma * Ipo"),
    ("HE", _smax("m6 - m5 * S", str(M.HE_FLOOR))),
    ("m3", "HE * m1 / (1 - HE)"),
    ("Spo", "Y + Sb + K * " + _smax("dGp / VG", "0")),
    ("U", "Fcns + Uid"),
]

_RATES = {
    "Gp": "dGp",
    "Gt": "-Uid + k1 * Gp - k2 * Gt",
    "Il": "-(m1 + m3) * Il + m2 * Ip + S",
    "Ip": "-(m2 + m4) * Ip + m1 * Il",
    "Qsto1": "-kgri * Qsto1",
    "Qsto2": "-kempt * Qsto2 + kgri * Qsto1",
    "Qgut": "-kabs * Qgut + kempt * Qsto2",
    "I1": "-ki * (I1 - I)",
    "Id": "-ki * (Id - I1)",
    "X": "-p2U * X + p2U * (I - Ib)",
    "Ipo": "-gamma * Ipo + Spo",
    "Y": "-alpha * (Y - " + _smax("beta * (G - Gb)", "-Sb") + ")",
}


def _check(rc: int, what: str) -> None:
    import libsbml

    if rc != libsbml.LIBSBML_OPERATION_SUCCESS:
        raise RuntimeError(f"libsbml failed on {what}: {libsbml.OperationReturnValue_toString(rc)}")


def to_sbml_string(params: M.MealParams, dose_g: float = 78.0, name: str = "Dalla Man 2007 meal model") -> str:
    """SBML Level 3 Version 2 text for one person (a batch must hold exactly one person)."""
    import libsbml

    vals = {f: np.asarray(getattr(params, f), dtype=float).ravel() for f in M.MealParams._fields}
    if any(v.size != 1 for v in vals.values()):
        raise ValueError("export one person at a time (params.take(i))")
    vals = {k: float(v[0]) for k, v in vals.items()}
    if not np.isfinite(vals["Gb"]):
        raise ValueError("this parameter set has no basal steady state")

    doc = libsbml.SBMLDocument(3, 2)
    model = doc.createModel()
    model.setId("dalla_man_2007_meal")
    model.setName(name)
    model.setTimeUnits("dimensionless")
    notes = ("<body xmlns='http://www.w3.org/1999/xhtml'><p>Dalla Man C, Rizza RA, Cobelli C. Meal simulation "
             "model of the glucose-insulin system. IEEE Trans Biomed Eng 2007;54(10):1740-9. "
             "doi:10.1109/TBME.2007.893506. Exported by irsim; time in minutes; states per kg body weight "
             "(Qsto1, Qsto2, Qgut in mg). Research and education software, not a medical device.</p></body>")
    _check(model.setNotes(notes), "notes")

    def param(pid: str, value: float | None, constant: bool) -> None:
        p = model.createParameter()
        _check(p.setId(pid), pid)
        _check(p.setConstant(constant), pid)
        if value is not None:
            _check(p.setValue(float(value)), pid)

    for k, v in vals.items():
        param(k, v, True)
    param("D", dose_g * M.MG_PER_G, True)
    y0 = [np.asarray(a, dtype=float).ravel()[0] for a in M.initial_state(params)]
    for sid, v0 in zip(M.STATE_NAMES, y0):
        param(sid, v0 + (dose_g * M.MG_PER_G if sid == "Qsto1" else 0.0), False)
    for rid, _ in _RULES:
        param(rid, None, False)
    for rid, formula in _RULES:
        r = model.createAssignmentRule()
        _check(r.setVariable(rid), rid)
        ast = libsbml.parseL3Formula(formula)
        if ast is None:
            raise RuntimeError(f"cannot parse {formula!r}: {libsbml.getLastParseL3Error()}")
        _check(r.setMath(ast), rid)
    for sid in M.STATE_NAMES:
        r = model.createRateRule()
        _check(r.setVariable(sid), sid)
        ast = libsbml.parseL3Formula(_RATES[sid])
        if ast is None:
            raise RuntimeError(f"cannot parse {_RATES[sid]!r}: {libsbml.getLastParseL3Error()}")
        _check(r.setMath(ast), sid)
    return libsbml.writeSBMLToString(doc)


def consistency_errors(sbml: str) -> list[str]:
    """Errors (not warnings) reported by libsbml's checkConsistency()."""
    import libsbml

    doc = libsbml.readSBMLFromString(sbml)
    doc.setConsistencyChecks(libsbml.LIBSBML_CAT_UNITS_CONSISTENCY, False)  # units are documented, not declared
    doc.checkConsistency()
    errs = []
    for i in range(doc.getNumErrors()):
        e = doc.getError(i)
        if e.getSeverity() >= libsbml.LIBSBML_SEV_ERROR:
            errs.append(e.getMessage())
    return errs


def write_sbml(params: M.MealParams, path: str | Path, dose_g: float = 78.0, name: str = "Dalla Man 2007 meal model") -> Path:
    """Write the SBML file after checking it with libsbml (raises if it reports an error)."""
    text = to_sbml_string(params, dose_g, name)
    errs = consistency_errors(text)
    if errs:
        raise RuntimeError("libsbml consistency errors:\n" + "\n".join(errs))
    path = Path(path)
    path.write_text(text)
    return path
