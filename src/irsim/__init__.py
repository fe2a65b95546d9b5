"""irsim: insulin resistance and its multi-organ consequences.

Research and education software, not a medical device.
"""

from __future__ import annotations

__version__ = "0.1.0"

DISCLAIMER = (
    "irsim is research and education software, not a medical device: "
    "its results are not medical advice."
)

__all__ = ["__version__", "DISCLAIMER"]
