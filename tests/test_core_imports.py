"""The core never imports streamlit (design.md; README "Layout"): only the app's shell,
app.py, screens/ and ui/, does. Checked in a fresh interpreter, where nothing else has
loaded streamlit already: every other module of the package is imported, and the
command line evaluates the demo ward, and still no streamlit module is loaded.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: The Streamlit shell: the only modules allowed to import streamlit.
SHELL = ("dashboard.app", "dashboard.screens", "dashboard.ui")
#: Alembic's migration scripts are run by Alembic inside a migration, not imported.
MIGRATIONS = "dashboard.store.migrations."

PROBE = """
import contextlib, io, json, pkgutil, sys
import dashboard

shell = tuple(sys.argv[1].split(","))
imported = []
for module in pkgutil.walk_packages(dashboard.__path__, "dashboard."):
    name = module.name
    if name.endswith(".__main__") or name == shell or name.startswith(shell):
        continue
    if name.startswith(sys.argv[3]):
        continue
    __import__(name)
    imported.append(name)

from dashboard.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    code = main(["evaluate", sys.argv[2], "--at", "2026-03-04T14:30:00-05:00",
                 "--timezone", "America/New_York", "--format", "table"])
loaded = sorted(m for m in sys.modules if m == "streamlit" or m.startswith("streamlit."))
print(json.dumps({"imported": imported, "code": code, "streamlit": loaded}))
"""


def test_importing_and_running_the_core_never_loads_streamlit():
    result = subprocess.run(
        [sys.executable, "-c", PROBE, ",".join(SHELL), str(ROOT / "data" / "demo"), MIGRATIONS],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    core = {
        "dashboard.loading",
        "dashboard.assessment",
        "dashboard.protocols",
        "dashboard.views",
        "dashboard.figures",
        "dashboard.evaluate_cli",
        "dashboard.cli",
    }
    assert core <= set(report["imported"])
    assert report["code"] == 0
    assert report["streamlit"] == []
