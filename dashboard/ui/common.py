"""Pieces every page shows: the clinical-judgement note, the sidebar, status badges."""

from __future__ import annotations

import html
import re

import pandas as pd
import streamlit as st

from dashboard.errors import MonitorUserError
from dashboard.protocols import load_protocol
from dashboard.ui import state
from dashboard.ui.data import LoadedWard
from dashboard.views.clock import format_clock
from dashboard.views.dose_card import SUPPORT_NOTE
from dashboard.views.statuses import STATUS_LOOKS, Look, cell_style, finding_look, status_look

#: Markdown's punctuation, and the colon that opens Streamlit's :red[...], :material/icon:
#: and :emoji: (an escaped bracket does not stop :red\[...\]; an escaped colon does).
MARKDOWN_SPECIAL = re.compile(r"[\\`*_{}\[\]<>()#+!|~$-]|:(?=[\w/-]+[:\[])")
#: GitHub-flavoured markdown links bare addresses (http://x, www.x, a@b.org) after escapes
#: are resolved, so no backslash stops it: an invisible WORD JOINER after "http", "www"
#: and "@" breaks the pattern and leaves the text as it reads.
BARE_LINK = re.compile(r"(?<=https)(?=\\?:)|(?<=http)(?=\\?:)|(?<=www)(?=\.)|(?<=@)", re.IGNORECASE)
WORD_JOINER = "\u2060"

#: Where each page lives (for st.switch_page and links).
WARD_PAGE = "screens/ward.py"
PATIENT_PAGE = "screens/patient.py"
IMPORT_PAGE = "screens/importing.py"
PROTOCOL_PAGE = "screens/protocol.py"
SETTINGS_PAGE = "screens/settings.py"


#: Every page's style. On screen: Streamlit's default top padding (6rem) pushes the dose
#: verdict below the fold at 1366x768, the size of many ward PCs; for the same reason the
#: DEMO banner is one line pinned in the header's empty band, where it also stays in view
#: when the page scrolls. In print (the browser's
#: own print of a page): no sidebar, toolbar, tab bar or buttons; the page flows over
#: sheets instead of scrolling inside a box; landscape, so that the ward keeps its
#: columns; a plot drawn for a wider screen is scaled down rather than cut at today's end,
#: and never split across two sheets.
PAGE_CSS = """<style>
.block-container{padding-top:2rem;padding-bottom:1rem}
.st-key-demo_banner{position:fixed;top:0.55rem;left:50%;transform:translateX(-50%);
  z-index:1000001;width:min(46rem,70vw)}
.st-key-demo_banner [data-testid="stAlertContainer"]{padding:0.3rem 0.75rem}
@media print {
  @page { size: A4 landscape; margin: 8mm; }
  [data-testid="stSidebar"], [data-testid="stHeader"], [data-testid="stToolbar"],
  [data-testid="stDecoration"], [data-testid="stDownloadButton"],
  [data-testid="stTabs"] [role="tablist"], [data-testid="stStatusWidget"] {
    display: none !important; }
  [data-testid="stAppViewContainer"], [data-testid="stMain"], [data-testid="stApp"],
  section.main, .main { overflow: visible !important; height: auto !important;
    position: static !important; margin-left: 0 !important; }
  .block-container, [data-testid="stMainBlockContainer"] { max-width: 100% !important;
    padding: 0 !important; }
  [data-testid="stPlotlyChart"], .stPlotlyChart { zoom: 0.72; break-inside: avoid;
    page-break-inside: avoid; }
  [data-testid="dose-card"], .course-grid tr { break-inside: avoid; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
</style>"""


def ward_and_sidebar() -> tuple[LoadedWard | None, MonitorUserError | None]:
    """The current ward with the sidebar drawn for it, or the user error that kept it from
    loading (the sidebar then says there is no data); each page says the error its way."""
    try:
        loaded = state.current()
    except MonitorUserError as error:
        sidebar(None, None)
        return None, error
    sidebar(loaded, None)
    return loaded, None


def plain(text: str) -> str:
    """Text shown literally in st.markdown/st.caption: a folder such as ``my_ward_data``
    must not turn into italics."""
    return BARE_LINK.sub(WORD_JOINER, MARKDOWN_SPECIAL.sub(r"\\\g<0>", text))


def support_note() -> None:
    """Shown on every page (the monitor supports the decision; it never makes it)."""
    st.caption(f":material/info: {SUPPORT_NOTE}")


def badge_html(look: Look, text: str, size: str = "1rem") -> str:
    return (
        f'<span style="background:{look.colour};color:{look.ink};padding:0.15em 0.5em;'
        f"border-radius:0.3em;font-weight:700;font-size:{size};"
        f'border:1px solid #00000055">{html.escape(look.icon)} {html.escape(text)}</span>'
    )


def status_badge(status: str, size: str = "1rem") -> str:
    look = status_look(status)
    return badge_html(look, look.word, size)


def sidebar(loaded: LoadedWard | None, at: pd.Timestamp | None) -> None:
    # Few elements: every element is drawn again on every page load and rerun.
    if loaded is not None and loaded.notice:  # on the page itself: it must not be missed
        st.error(plain(loaded.notice), icon=":material/error:")
    lines = []
    if loaded is not None:
        counts = loaded.ward.counts()
        lines += [
            loaded.label,
            f"{counts['patients']} patients · {counts['doses']} doses · "
            f"{counts['observations']:,} observations",
        ]
    lines.append(f"Ward time zone: {st.session_state.get(state.TIMEZONE, '?')}")
    if at is not None and loaded is not None:
        lines.append(f"Assessed as of {format_clock(at, loaded.timezone)}")
    with st.sidebar:
        st.markdown("**Data**")
        st.caption("  \n".join(plain(line) for line in lines))
        with st.expander("Status legend"):
            looks = [
                *STATUS_LOOKS.values(),
                *(finding_look(outcome) for outcome in ("resolved", "watch", "info")),
            ]
            st.html(
                "".join(
                    f"<div style='margin-bottom:0.35rem;font-size:0.9rem'>"
                    f"{badge_html(look, look.word, '0.8rem')} "
                    f"{html.escape(look.meaning)}</div>"
                    for look in looks
                )
            )


RECORDED = ("given", "held", "skipped", "scheduled")


def style_states(
    frame: pd.DataFrame, states: pd.DataFrame, columns: list[str], colour_clear: bool = True
):
    """A Styler colouring the given columns by their state key (word + icon stay in the
    text, so colour is never the only carrier)."""

    def paint(key: str) -> str:
        if not key or key in RECORDED or (key == "clear" and not colour_clear):
            return ""
        return cell_style(finding_look(key))

    def colour(column: pd.Series) -> list[str]:
        keys = states[column.name] if column.name in states else [""] * len(column)
        return [paint(k) for k in keys]

    present = [c for c in columns if c in frame.columns]
    return frame.style.apply(colour, subset=present, axis=0)


def handover_pdf(
    loaded: LoadedWard, patient_id: str, protocol_id: str | None, printed_by: str | None = None
):
    """A callable building the patient's handover PDF when the download is clicked;
    ``printed_by``: the signed-in user, printed on every page."""

    def build() -> bytes:
        from dashboard.report import patient_pdf  # fpdf2 loads on the first print only

        chosen = load_protocol(protocol_id) if protocol_id else None
        return patient_pdf(
            loaded.ward, patient_id, state.now(), loaded.timezone, chosen, printed_by=printed_by
        )

    return build


def ward_pdf(loaded: LoadedWard, protocol_id: str | None, printed_by: str | None = None):
    """A callable building the ward sheet PDF when the download is clicked."""

    def build() -> bytes:
        from dashboard.report import ward_pdf as sheet

        chosen = load_protocol(protocol_id) if protocol_id else None
        return sheet(loaded.ward, state.now(), loaded.timezone, chosen, printed_by=printed_by)

    return build
