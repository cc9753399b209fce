"""A patient's baselines, as the data contract defines them (section 1).

The baseline creatinine is the patient's recorded one; when it is empty, the first
creatinine of the course stands for it. Written once here so that the engine's KDIGO
rules, the support line and the trend plot cannot take different baselines.
"""

from __future__ import annotations

import numpy as np


def baseline_creatinine(recorded, first_of_course):
    """The recorded baseline creatinine (mg/dL), else the first of the course; NaN when
    neither is known. Scalars give a float (or None for "unknown"), arrays an array."""
    recorded = np.asarray(recorded, dtype=float)
    first = np.asarray(first_of_course, dtype=float)
    baseline = np.where(np.isnan(recorded), first, recorded)
    if baseline.ndim == 0:
        return None if np.isnan(baseline) else float(baseline)
    return baseline
