"""The monitor installs as a package (issue 10, item 4): a wheel built from the repository
carries the reviewed data files (vocabulary, protocols, the demo ward) and the Streamlit
safe settings, declares the `il2-monitor` command, and, installed, evaluates the demo ward
from another directory with no repository in sight.

Built offline from what is already in the test environment (setuptools, no build
isolation, no index), in a copy of the repository's files so the checkout gets no build/.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: What a build needs from the repository (an sdist would carry the same).
BUILD_INPUTS = ("dashboard", "data", "pyproject.toml", "setup.py", "README.md")
DEMO_AT = "2026-03-04T14:30:00-05:00"  # the demo story's "now" (data/demo/ward.yaml)


def repository_files(folder: str) -> set[str]:
    base = ROOT / folder
    return {
        path.relative_to(base).as_posix()
        for path in base.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    source.mkdir()
    for name in BUILD_INPUTS:
        origin = ROOT / name
        if origin.is_dir():
            shutil.copytree(origin, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(origin, source / name)
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--wheel-dir",
            str(work / "dist"),
            str(source),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    (path,) = (work / "dist").glob("il2_toxicity_monitor-*.whl")
    return path


def wheel_names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def test_the_wheel_carries_every_shipped_data_file_under_the_package(wheel):
    names = wheel_names(wheel)
    shipped = repository_files("data")
    assert {"vocabulary/parameters.yaml", "protocols/proleukin-label.yaml"} <= shipped
    assert any(name.startswith("demo/") for name in shipped)
    missing = {name for name in shipped if f"dashboard/_data/{name}" not in names}
    assert not missing, f"data files not in the wheel: {sorted(missing)}"


def test_the_wheel_carries_every_module_and_the_safe_streamlit_settings(wheel):
    names = wheel_names(wheel)
    modules = {name for name in repository_files("dashboard") if name.endswith(".py")}
    missing = {name for name in modules if f"dashboard/{name}" not in names}
    assert not missing, f"modules not in the wheel: {sorted(missing)}"
    assert "dashboard/.streamlit/config.toml" in names
    assert not [name for name in names if name.startswith(("data/", "tests/", "benchmarks/"))]


def test_the_wheel_declares_the_il2_monitor_command(wheel):
    with zipfile.ZipFile(wheel) as archive:
        (entry_points,) = (n for n in archive.namelist() if n.endswith("entry_points.txt"))
        text = archive.read(entry_points).decode()
    assert "[console_scripts]" in text
    assert "il2-monitor = dashboard.cli:main" in text


def test_installed_it_evaluates_its_own_demo_ward_from_another_directory(wheel, tmp_path):
    target = tmp_path / "site"
    pip_install = [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index"]
    installed = subprocess.run(
        [*pip_install, "--target", str(target), str(wheel)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    # -P: the current directory is not put on sys.path; the installed copy is the only
    # `dashboard` (its dependencies come from this environment's site-packages).
    env = {**os.environ, "PYTHONPATH": str(target)}

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-P", *args], cwd=elsewhere, env=env, capture_output=True, text=True
        )

    located = run("-c", "import dashboard; print(dashboard.__file__, dashboard.DATA_DIR)")
    package_file, data_dir = located.stdout.split()
    assert Path(package_file).is_relative_to(target)
    assert Path(data_dir) == target / "dashboard" / "_data"

    script = target / "bin" / "il2-monitor"
    assert script.is_file()
    result = run(
        str(script), "evaluate", str(Path(data_dir) / "demo"), "--at", DEMO_AT,
        "--timezone", "America/New_York", "--format", "json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    patients = json.loads(result.stdout)["patients"]
    demo_patients = (ROOT / "data" / "demo" / "patients.csv").read_text().splitlines()[1:]
    assert len(patients) == len(demo_patients)
