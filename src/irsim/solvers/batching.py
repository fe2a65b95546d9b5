"""Compiled batch sizes: a compiled program serves one number of persons, and compiling one costs seconds (about 5-9 s
per progression program on 2 cores), so small batches are padded with copies of their persons to a few sizes, and
every compiled call on persons (start fit, runs, observations) sees the same few shapes."""

from __future__ import annotations

import numpy as np

from ._jax import jax

#: Batches up to this many persons are padded to a bucket (:func:`bucket`); larger ones keep their size (their own
#: compute dominates).
BUCKETED = 4096
#: The smallest bucket: a run of up to this many persons costs about what one person's does (the per-step overhead
#: dominates: 30 years with yearly records, 0.18 s for 1 person and 0.32 s for 256 on 2 cores, 2026-12-06), so they
#: share one program instead of compiling one for each of 1, 2, 3, 4, 6, ... 192 persons.
SMALLEST = 256


def bucket(n: int) -> int:
    """Persons per compiled batch for ``n <= BUCKETED`` persons: at least :data:`SMALLEST`, then ``n`` rounded up to the
    next ``2^k`` or ``3 x 2^(k-1)`` (at most half as many again); ``n`` itself above :data:`BUCKETED`."""
    n = max(int(n), 1)
    if n > BUCKETED:
        return n
    if n <= SMALLEST:
        return SMALLEST
    k = (n - 1).bit_length()  # 2^(k-1) < n <= 2^k
    return 3 << (k - 2) if n <= 3 << (k - 2) else 1 << k


def padded(fn, n: int):
    """``fn`` called on arguments whose arrays with ``n`` persons on the trailing axis are padded to :func:`bucket`
    persons (copies of the persons, cyclically) and whose results are cut back to the first ``n``: the same numbers
    per person (persons are independent), one compiled program per bucket. Scalars and other arrays pass unchanged."""
    m = bucket(n)
    if m == n:
        return fn
    idx = np.arange(m) % n

    def grow(x):
        return x[..., idx] if np.ndim(x) and np.shape(x)[-1] == n else x

    def cut(x):
        return x[..., :n] if np.ndim(x) and np.shape(x)[-1] == m else x

    def call(*args, **kwargs):
        return jax.tree.map(cut, fn(*jax.tree.map(grow, args), **kwargs))

    return call
