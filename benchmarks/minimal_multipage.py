"""A second yardstick for bench_app.py: the same one plotly chart, but on a sub-path page
(``/chart``) of a two-page ``st.navigation`` app, opened by pasting its address.

Streamlit's own cost of such a page (the frontend first probes ``/chart/_stcore/health``,
gets a 404 and retries at the root after 100 ms; the navigation is drawn) is paid by every
deep link to the patient page as well; this page shows how much of the ratio it is.
"""

# Run by bench_app.py as `python -m streamlit run benchmarks/...` from the repository's root,
# which puts the root (and so `dashboard`) on sys.path.
import streamlit as st

from dashboard.figures import minimal_figure


def home() -> None:
    st.write("A home page, not measured.")


def chart() -> None:
    st.plotly_chart(minimal_figure())


st.navigation(
    [st.Page(home, title="Home", default=True), st.Page(chart, title="Chart", url_path="chart")]
).run()
