"""The progression core described as the organs are (:class:`irsim.models.organ.Organ`), and the model's lists
derived from it and the organ registry: output columns with units, pathway switches with labels, events, the
pathways ``irsim explain`` examines, report panels and categorical labels. Equations: :mod:`.progression`."""

from __future__ import annotations

from . import organs as om
from . import progression as pm
from .organ import Organ

#: Parameter files the decades model reads (core, then organs): ``Trajectory.sources()`` and the report cite them.
PARAMETER_FILES = ("progression", "organs")

CORE = Organ(
    name="core", order=0,
    columns={
        "year": ("year", "years since the start"), "age": ("year", "age"), "weight_kg": ("kg", "body weight"),
        "bmi": ("kg/m2", "body-mass index"), "fasting_glucose_mmol_l": ("mmol/L", "fasting plasma glucose"),
        "glucose_2h_mmol_l": ("mmol/L", "2-h OGTT plasma glucose"), "hba1c_percent": ("%", "HbA1c"),
        "fasting_insulin_uiu_ml": ("uIU/mL", "fasting insulin"),
        "homa1_ir": ("1", "HOMA1 insulin resistance (Matthews 1985)"),
        "homa1_beta_percent": ("%", "HOMA1 beta-cell function (Matthews 1985)"),
        "beta_cell_mass_rel": ("x reference", "functional beta-cell mass"),
        "beta_cell_function_rel": ("x reference", "beta-cell secretory function"),
        "muscle_insulin_sensitivity_rel": ("x reference", "muscle insulin sensitivity"),
        "liver_insulin_sensitivity_rel": ("x reference", "hepatic insulin sensitivity"),
        "adipose_insulin_sensitivity_rel": ("x reference", "adipose insulin sensitivity"),
        "inflammation_index": ("index", "inflammatory tone (0 = lean reference)"),
        "mitochondrial_capacity_rel": ("x reference", "mitochondrial oxidative capacity"),
        "er_stress_index": ("index", "ER stress (0 = none)"),
        "visceral_fat_rel": ("x reference", "visceral fat"), "ffa_flux_rel": ("x reference", "free fatty-acid flux"),
        "glycemic_status": ("", "ADA class: NGT, IFG, IGT, IFG+IGT or T2D"),
        "beta_cell_capacity_rel": ("x reference", "beta-cell functional capacity (1 = intact)"),
        "pancreatic_fat_rel": ("x reference", "pancreatic (islet) fat")},
    switches={
        "inflammation": ("inflammation",
                         "adipose and systemic inflammatory tone (TNF-a, IL-6 -> JNK/IKK; NLRP3 -> IL-1b)"),
        "mitochondria": ("mitochondrial distress", "falling oxidative capacity and ROS"),
        "er_stress": ("ER stress", "the unfolded protein response (JNK, CHOP apoptosis)"),
        "lipotoxicity": ("lipid intermediates", "DAG/ceramide from fatty-acid supply exceeding oxidation (PKC)"),
        "glucotoxicity": ("glucotoxicity", "damage from high glucose to beta cells and tissues")},
    pathways=("androgens",),
    events={"t2d": {"column": "glycemic_status", "op": "==", "threshold": "T2D", "name": "T2D",
                    "label": "type 2 diabetes", "source": "ADA 2025 (glycemic_status)"}},
    panels=(("fasting_glucose_mmol_l", "Fasting glucose (mmol/L)"), ("glucose_2h_mmol_l", "2-h OGTT glucose (mmol/L)"),
            ("hba1c_percent", "HbA1c (%)"), ("weight_kg", "Weight (kg)"), ("homa1_ir", "HOMA1-IR")),
    labels={"glycemic_status": pm.STATUS})

#: Output columns of a trajectory: the core's, then the organs' (stable names).
COLUMNS = tuple(CORE.columns) + om.COLUMNS

#: (unit, description) of every output column.
COLUMN_INFO = {**CORE.columns, **om.COLUMN_INFO}

#: Pathway switch -> (label, what switching it off removes), in :class:`~.progression.Mechanisms` order.
SWITCHES = {**CORE.switches, **{s: label for o in om.ORGANS for s, label in o.switches.items()}}

#: Events: the organs' threshold events, the core's diagnosis, then the hazards (the order events are sampled in).
EVENTS = {**{k: e for k, e in om.EVENTS.items() if "rate" not in e}, **CORE.events,
          **{k: e for k, e in om.EVENTS.items() if "rate" in e}}

#: Pathways `irsim explain` examines by default for an organ column (besides the core's switches).
PATHWAYS = {c: o.pathways for o in om.ORGANS for c in o.all_columns()}

#: Report panels: the core's, then the organs' in column order.
PANELS = CORE.panels + tuple(sorted((p for o in om.ORGANS for p in o.panels), key=lambda p: COLUMNS.index(p[0])))

#: Labels of categorical columns (numeric codes in the arrays).
LABELS = {**CORE.labels, **om.LABELS}
