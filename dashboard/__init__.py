"""Inpatient toxicity monitor for high-dose interleukin-2 (aldesleukin).

The package is a domain core (loading, units, schedule, protocols, assessment, figures)
with two thin shells over it: the command line (``python -m dashboard``) and the
Streamlit app. The core never imports streamlit.

The monitor supports a clinician's decision about each dose; it never makes it.
"""

from pathlib import Path

__version__ = "0.1.0"

#: The repository's ``data/`` folder: vocabulary, protocols and the demo ward.
DATA_DIR = Path(__file__).resolve().parent.parent / "data"
#: The shipped demo ward (written by ``python -m dashboard.demo``).
DEMO_DIR = DATA_DIR / "demo"
