"""Printed output benchmark: time to build the ward sheet PDF and one patient's handover
PDF for a ward of N patients (in process, the ward already loaded, as the app's buttons
build them).

    .venv/bin/python -m benchmarks.bench_report [--patients 30] [--runs 5]

The ward is the demo generator's, moved to the real clock (benchmarks/out/, not in git).
"""

from __future__ import annotations

import argparse
import statistics
import time

import pandas as pd

from benchmarks._machine import describe_machine
from benchmarks.bench_app import write_ward
from dashboard.demo.clock import WARD_TIMEZONE
from dashboard.loading import load_ward
from dashboard.report import patient_pdf, ward_pdf


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=30)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    folder = write_ward(args.patients)
    zone = WARD_TIMEZONE
    ward = load_ward(str(folder), zone)
    at = pd.Timestamp.now(tz="UTC").floor("min")
    patient = str(ward.patients["patient_id"].iloc[0])
    ward_pdf(ward, at, zone)  # warm: imports, protocol files, fonts
    sheet, handover, sizes = [], [], {}
    for _ in range(args.runs):
        started = time.perf_counter()
        sizes["ward"] = len(ward_pdf(ward, at, zone))
        sheet.append(time.perf_counter() - started)
        started = time.perf_counter()
        sizes["patient"] = len(patient_pdf(ward, patient, at, zone))
        handover.append(time.perf_counter() - started)
    print(f"machine: {describe_machine()}")
    print(f"ward: {folder} ({args.patients} patients), patient {patient}")
    for name, times in (("ward sheet", sheet), ("patient handover", handover)):
        median = statistics.median(times)
        print(
            f"{name} PDF: median {median:.2f} s (min {min(times):.2f}, max {max(times):.2f}; "
            f"{sizes['ward' if name == 'ward sheet' else 'patient'] // 1024} KiB)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
