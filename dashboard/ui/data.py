"""The app's shared data: loaded wards and assessments, cached once for every session.

Caches are keyed on a *data version* (the store's, see :mod:`dashboard.ui.store`; for files
being checked on the Import page, a digest of their names, sizes and modification times, or
of uploaded bytes) and never on a DataFrame: ``st.cache_data`` hashes a large
frame from a sample, so a changed value could return a stale ward (design.md). Results are
kept with ``st.cache_resource`` (one shared object per key, not pickled per session); the
session keeps only ids (see :mod:`dashboard.ui.state`).

Only :class:`~dashboard.errors.MonitorUserError` is ever caught by the pages; everything
raised here that is not one is a bug and propagates.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard import DEMO_DIR
from dashboard.assessment import DoseAssessment, assess_course, assess_next_doses
from dashboard.assessment.stricter import StricterNote, stricter_notes
from dashboard.demo import clock
from dashboard.errors import InputFileError, MonitorUserError
from dashboard.figures import Panel, split_panels, trend_figure
from dashboard.loading import SUPPORTED_SUFFIXES, InputFile, load_ward, read_input_files
from dashboard.protocols import Protocol, load_protocol, shipped_protocol_ids
from dashboard.tables import WardData
from dashboard.views.protocol_choice import groups
from dashboard.views.trends import TrendData, patient_trends, trend_table
from dashboard.views.ward_rows import ward_rows

UPLOAD_PREFIX = "upload:"
PATH_PREFIX = "path:"
UPLOADS_KEPT = 4  # uploaded inputs kept in memory for the whole server


@dataclass(frozen=True)
class LoadedWard:
    """A ward ready to show: the data, its version, and how to describe it."""

    key: str  # data version: keys every cache below
    ward: WardData
    timezone: str
    label: str  # what the screens call the data source
    is_demo: bool
    notice: str | None = None  # a problem with the ward's feed, shown on every page

    @property
    def refused(self) -> int:
        """Rows refused when the user chose to go on with a partly valid input."""
        return len(self.ward.report.problems)


# --------------------------------------------------------------------------- versions


def path_version(path: str) -> str:
    """A digest of the names, sizes and modification times of the files at ``path``:
    cheap on a million-row file, and it changes when a file is rewritten."""
    target = Path(path)
    if target.is_dir():
        files = sorted(
            p for p in target.iterdir() if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES
        )
    elif target.exists():
        files = [target]
    else:
        raise InputFileError(f"{path} does not exist.")
    digest = hashlib.sha256(str(target.resolve()).encode())
    for file in files:
        stat = file.stat()
        digest.update(f"{file.name}|{stat.st_size}|{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:16]


def bytes_version(files: list[InputFile]) -> str:
    digest = hashlib.sha256()
    for file in sorted(files, key=lambda f: f.name):
        digest.update(file.name.encode() + b"\0" + hashlib.sha256(file.data).digest())
    return digest.hexdigest()[:16]


# --------------------------------------------------------------------------- uploads


@st.cache_resource
def _upload_store() -> OrderedDict[str, list[InputFile]]:
    """Uploaded inputs by digest, for every session (the session keeps the digest only)."""
    return OrderedDict()


def keep_upload(files: list[InputFile]) -> str:
    store = _upload_store()
    version = bytes_version(files)
    store[version] = files
    store.move_to_end(version)
    while len(store) > UPLOADS_KEPT:
        store.popitem(last=False)
    return version


def upload_files(version: str) -> list[InputFile]:
    files = _upload_store().get(version)
    if files is None:
        raise InputFileError(
            "The uploaded files are no longer held by the server (it "
            "restarted or many other files were uploaded since): upload "
            "them again on the Import page."
        )
    return files


def files_from_uploads(uploads) -> list[InputFile]:
    """Streamlit UploadedFile objects as named bytes (the loader's own input type)."""
    return read_input_files(list(uploads))


# --------------------------------------------------------------------------- loading


@st.cache_resource(max_entries=8, show_spinner="Reading the ward data...")
def _load_path(version: str, path: str, timezone: str, keep_going: bool) -> WardData:
    return load_ward(path, timezone, keep_going=keep_going)


@st.cache_resource(max_entries=8, show_spinner="Reading the uploaded files...")
def _load_upload(version: str, timezone: str, keep_going: bool) -> WardData:
    return load_ward(upload_files(version), timezone, keep_going=keep_going)


def load_source(source: str, timezone: str, keep_going: bool = False) -> tuple[str, WardData]:
    """(data version, ward) of a source id: ``path:<folder or file>`` or ``upload:<digest>``.
    Raises MonitorUserError when the input cannot be used."""
    if source.startswith(UPLOAD_PREFIX):
        version = source.removeprefix(UPLOAD_PREFIX)
        return f"{version}|{timezone}|{keep_going}", _load_upload(version, timezone, keep_going)
    path = source.removeprefix(PATH_PREFIX)
    version = path_version(path)
    return f"{version}|{timezone}|{keep_going}", _load_path(version, path, timezone, keep_going)


def demo_clock() -> tuple[str, pd.Timestamp]:
    """The demo's time zone and its story's "now" (data/demo/ward.yaml)."""
    if (DEMO_DIR / "ward.yaml").exists():
        info = clock.read_ward_info()
        return info.timezone, info.anchor
    return clock.WARD_TIMEZONE, clock.DEMO_ANCHOR


# --------------------------------------------------------------------------- assessment


def subset(ward: WardData, patient_ids: tuple[str, ...]) -> WardData:
    """The ward restricted to some patients (a protocol group, or one patient)."""
    wanted = list(patient_ids)

    def mine(frame: pd.DataFrame) -> pd.DataFrame:
        return frame[frame["patient_id"].astype(str).isin(wanted)]

    return WardData(mine(ward.patients), mine(ward.doses), mine(ward.observations), ward.report)


@st.cache_resource(max_entries=16, show_spinner=False)
def _subset(key: str, patient_ids: tuple[str, ...], _ward: WardData) -> WardData:
    return subset(_ward, patient_ids)


def protocol(protocol_id: str) -> Protocol:
    """A shipped protocol by id (raises ProtocolError, a user error, when unknown)."""
    return load_protocol(protocol_id)


@st.cache_resource(max_entries=32, ttl=3600, show_spinner="Assessing the next doses...")
def _next_doses(
    key: str, at: pd.Timestamp, protocol_id: str, patient_ids: tuple[str, ...], _ward: WardData
) -> list[DoseAssessment]:
    ward = _subset(key, patient_ids, _ward)
    return assess_next_doses(ward, at, protocol(protocol_id))


def next_doses(
    loaded: LoadedWard, at: pd.Timestamp, assignment: dict[str, str]
) -> list[DoseAssessment]:
    """Each patient's next dose at ``at``, each with the protocol assigned to them.

    One engine call per protocol group; the same cached list serves the ward list and the
    patient page, so that both always say the same thing.
    """
    found: list[DoseAssessment] = []
    for protocol_id, patient_ids in groups(assignment).items():
        found += _next_doses(loaded.key, at, protocol_id, patient_ids, loaded.ward)
    return found


def assessment_of(assessments: list[DoseAssessment], patient_id: str) -> DoseAssessment:
    """The patient's assessment; a user error when the patient is not on this ward (the
    ward changed under an open page: an import replaced the demo, say)."""
    for assessment in assessments:
        if str(assessment.patient_id) == patient_id:
            return assessment
    raise MonitorUserError(f"patient {patient_id} is not on this ward (any more)")


@st.cache_resource(max_entries=32, ttl=3600, show_spinner=False)
def _whole_ward(
    key: str, at: pd.Timestamp, protocol_id: str, _ward: WardData
) -> list[DoseAssessment]:
    return assess_next_doses(_ward, at, protocol(protocol_id))


def stricter(
    loaded: LoadedWard, at: pd.Timestamp, assignment: dict[str, str]
) -> dict[str, list[StricterNote]]:
    """Each patient's stricter statuses under the other shipped protocols (criteria.md
    9.5): the ward assessed once per shipped protocol, cached like the other engine calls,
    so the ward list and every patient page share the same answer."""
    own = next_doses(loaded, at, assignment)
    others = [
        (protocol(pid), _whole_ward(loaded.key, at, pid, loaded.ward))
        for pid in shipped_protocol_ids()
    ]
    return stricter_notes(own, others)


@st.cache_resource(max_entries=8, ttl=3600, show_spinner=False)
def _ward_table(
    key: str,
    at: pd.Timestamp,
    timezone: str,
    groups_key: tuple,
    waiting: frozenset[str],
    _loaded: LoadedWard,
    _assignment: dict[str, str],
) -> pd.DataFrame:
    assessments = next_doses(_loaded, at, _assignment)
    protocols = {pid: protocol(pid) for pid in {a.protocol_id for a in assessments}}
    return ward_rows(
        _loaded.ward,
        assessments,
        protocols,
        at,
        timezone,
        stricter=stricter(_loaded, at, _assignment),
        unacknowledged=waiting,
    )


def ward_table(
    loaded: LoadedWard, at: pd.Timestamp, assignment: dict[str, str], waiting: set[str]
) -> pd.DataFrame:
    """The ward list's rows as of a minute: built once for every session and every
    automatic refresh within that minute (at 300 patients building it is most of a rerun).
    Keyed on the data version, the minute, the zone, each patient's protocol and who waits
    for an acknowledgement; the caller must not change the frame (it is shared)."""
    return _ward_table(
        loaded.key,
        at,
        loaded.timezone,
        tuple(sorted(assignment.items())),
        frozenset(waiting),
        loaded,
        assignment,
    )


@st.cache_resource(max_entries=32, ttl=3600, show_spinner="Reviewing the course...")
def _course(key: str, patient_id: str, protocol_id: str, _ward: WardData) -> list[DoseAssessment]:
    ward = _subset(key, (patient_id,), _ward)
    return assess_course(ward, protocol(protocol_id))


def course(loaded: LoadedWard, patient_id: str, protocol_id: str) -> list[DoseAssessment]:
    """Every dose of one patient's course, each as of its scheduled time."""
    return _course(loaded.key, patient_id, protocol_id, loaded.ward)


@dataclass(frozen=True)
class TrendChart:
    """One patient's trends as of a minute. The decision figure is built at once; the
    other panels and the table only when their tab is opened (most page loads never do)."""

    trend: TrendData
    decision_panels: tuple[Panel, ...]
    rest_panels: tuple[Panel, ...]
    decision: go.Figure  # the panels the dose is decided on: one screen under the card
    notes: tuple[str, ...]  # what the chart leaves out or cannot show, said under it
    key: tuple = ()

    @property
    def rest(self) -> go.Figure | None:
        """Every other panel (None: there is none); built once per chart."""
        return _rest_figure(self.key, self) if self.rest_panels else None

    @property
    def table(self) -> pd.DataFrame:
        """The same readings as a table (the accessible view)."""
        return _trend_values(self.key, self)


@st.cache_resource(max_entries=16, ttl=3600, show_spinner=False)
def _rest_figure(key: tuple, _chart: TrendChart) -> go.Figure:
    return trend_figure(_chart.trend, _chart.rest_panels, part="rest")


@st.cache_resource(max_entries=16, ttl=3600, show_spinner=False)
def _trend_values(key: tuple, _chart: TrendChart) -> pd.DataFrame:
    return trend_table(_chart.trend)


@st.cache_resource(max_entries=64, ttl=3600, show_spinner=False)
def _trend_chart(
    key: str,
    patient_id: str,
    protocol_id: str,
    at: pd.Timestamp,
    timezone: str,
    deciding: tuple[str, ...],
    _ward: WardData,
) -> TrendChart:
    trend = patient_trends(_ward, patient_id, protocol(protocol_id), at, timezone)
    decision, rest = split_panels(trend, set(deciding))
    return TrendChart(
        trend,
        decision,
        rest,
        trend_figure(trend, decision, part="decision", compact=True),
        tuple(trend.notes),
        (key, patient_id, protocol_id, at, timezone, deciding),
    )


def trend_chart(
    loaded: LoadedWard,
    patient_id: str,
    protocol_id: str,
    at: pd.Timestamp,
    deciding: tuple[str, ...] = (),
) -> TrendChart:
    """One patient's trend plots as of ``at`` (a minute): built once for every session and
    every auto-refresh within that minute (building them is most of the page's server
    time). st.plotly_chart copies the figure, so the shared one is never changed.
    ``deciding``: the parameters of the card's findings, drawn first."""
    return _trend_chart(
        loaded.key,
        patient_id,
        protocol_id,
        at,
        loaded.timezone,
        tuple(sorted(deciding)),
        loaded.ward,
    )
