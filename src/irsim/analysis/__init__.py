"""Analyses on simulated trajectories: time-to-event sampling with competing death (:mod:`.events`) and pathway
attribution of changes (:mod:`.explain`)."""
