"""Printed output: the ward sheet and the patient handover, read back from the PDF as a
reader (pdftotext) and as a picture (pdftoppm)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from dashboard import DEMO_DIR
from dashboard.cli import main
from dashboard.protocols import load_protocol

AT = "2026-03-04T14:30:00-05:00"  # the demo's story: mid-cycle
ZONE = "America/New_York"


def _text(pdf: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout


def _pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True)
    return int(
        next(line.split()[-1] for line in info.stdout.splitlines() if line.startswith("Pages"))
    )


def _words(text: str) -> str:
    return " ".join(text.split())  # the table wraps cells over lines


@pytest.fixture(scope="module")
def ward_sheet(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report") / "ward.pdf"
    assert (
        main(["report", str(DEMO_DIR), "--ward", "--at", AT, "--timezone", ZONE, "--out", str(out)])
        == 0
    )
    return out


@pytest.fixture(scope="module")
def handover(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report") / "demo-04.pdf"
    code = main(
        [
            "report",
            str(DEMO_DIR),
            "--patient",
            "DEMO-04",
            "--at",
            AT,
            "--timezone",
            ZONE,
            "--printed-by",
            "Nurse Example",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    return out


def test_the_ward_sheet_has_one_line_per_patient_with_status_and_reasons(ward_sheet):
    text = _words(_text(ward_sheet))
    patients = pd.read_csv(DEMO_DIR / "patients.csv")
    for name in patients["name"]:
        assert name.split(", ")[1] in text  # "Demo, Alice" wraps as "Demo, / Alice"
    for pid in patients["patient_id"]:
        assert pid in text
    assert "DISCONTINUED" in text and "HOLD" in text and "INCOMPLETE" in text
    assert "Sustained ventricular tachycardia" in text  # DEMO-04's reason
    assert "Hypotension: sbp 74 mmHg" in text  # DEMO-01's reason with its value
    label = load_protocol("proleukin-label")
    assert f"proleukin-label, version {label.version}" in text
    assert "Printed Wed 4 Mar 2026 14:30 EST (America/New_York)" in text
    assert _pages(ward_sheet) == 1


def test_the_patient_handover_has_card_reasons_checklist_timeline_and_plots(handover):
    text = _words(_text(handover))
    assert "IL-2 handover: 7W-16 · Demo, Dmitri (DEMO-04)" in text
    assert "DISCONTINUED" in text
    assert "Sustained ventricular tachycardia" in text and "Source:" in text
    assert "version 2024.1" in text
    for heading in ("Trends across the cycle", "Checklist: every criterion", "Course timeline"):
        assert heading in text
    assert "now Wed 4 Mar 14:30" in text  # the timeline's now row
    assert "Blood pressure (mmHg)" in text and "Mental status" in text  # plot titles
    assert "by Nurse Example" in text
    assert 3 <= _pages(handover) <= 6


def test_a_page_renders_to_an_image(handover, tmp_path):
    # One page as a picture: /tmp/il2-report-page-1.png is kept for a person to look at.
    target = Path("/tmp/il2-report-page")
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "60",
            "-png",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(handover),
            str(target),
        ],
        check=True,
    )
    picture = target.with_suffix(".png")
    assert picture.stat().st_size > 20_000  # a page with a card and plots, not a blank one


def test_text_from_the_data_is_text_in_the_pdf(tmp_path):
    folder = tmp_path / "ward"
    shutil.copytree(DEMO_DIR, folder)
    patients = pd.read_csv(folder / "patients.csv")
    patients.loc[patients["patient_id"] == "DEMO-04", "name"] = "<b>**Bold**</b> [x](http://e.x)"
    patients.to_csv(folder / "patients.csv", index=False)
    out = tmp_path / "p.pdf"
    assert (
        main(
            [
                "report",
                str(folder),
                "--patient",
                "DEMO-04",
                "--at",
                AT,
                "--timezone",
                ZONE,
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert "<b>**Bold**</b> [x](http://e.x)" in _text(out)


def test_an_unknown_patient_is_a_user_error(tmp_path, capsys):
    out = tmp_path / "p.pdf"
    code = main(["report", str(DEMO_DIR), "--patient", "NOBODY", "--at", AT, "--out", str(out)])
    assert code == 2 and not out.exists()
    assert "NOBODY" in capsys.readouterr().err


def test_patient_and_ward_are_one_or_the_other(capsys):
    with pytest.raises(SystemExit):
        main(["report", "--ward", "--patient", "DEMO-01", "--out", "x.pdf"])
