"""Inpatient toxicity monitor for high-dose interleukin-2 (aldesleukin).

The package is a domain core (loading, units, schedule, protocols, assessment, figures)
with two thin shells over it: the command line (``python -m dashboard``) and the
Streamlit app. The core never imports streamlit.

The monitor supports a clinician's decision about each dose; it never makes it.
"""

from pathlib import Path

__version__ = "0.1.0"


def shipped_data_dir() -> Path:
    """The folder of the shipped data (vocabulary, protocols, the demo ward), the one place
    code looks for them.

    In the repository it is ``data/`` beside this package (a checkout, or an editable
    install of one); a wheel carries the same files as ``dashboard/_data/``
    (pyproject.toml, ``[tool.setuptools] package-dir``), so an installed monitor reads what
    was reviewed, from whichever directory it is started.
    """
    package = Path(__file__).resolve().parent
    installed = package / "_data"
    return installed if installed.is_dir() else package.parent / "data"


#: Vocabulary, protocols and the demo ward (see :func:`shipped_data_dir`).
DATA_DIR = shipped_data_dir()
#: The shipped demo ward (written by ``python -m dashboard.demo``).
DEMO_DIR = DATA_DIR / "demo"
