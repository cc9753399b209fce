"""The Streamlit app: ``streamlit run dashboard/app.py`` (or ``python -m dashboard app``).

A thin entry point (design.md): it sets the page up and builds ``st.navigation`` inside
:func:`run`; each page is a small script under ``dashboard/screens/`` over the view models
of :mod:`dashboard.views` and the figure builders of :mod:`dashboard.figures`. (Not
``pages/``: Streamlit takes a ``pages/`` folder beside the entry point for an old-style page
list, and showed it in place of this navigation after a fragment rerun.)
"""

from __future__ import annotations

# The pages import the package as `dashboard.*`: it is installed (scripts/start.sh, `pip
# install .`), or the current directory is the repository's root (`python -m streamlit run
# dashboard/app.py` puts it on sys.path). Streamlit applies the safe settings in
# .streamlit/config.toml beside this file whatever the current directory.
import streamlit as st

from dashboard.access import Action
from dashboard.errors import MonitorUserError
from dashboard.ui import common, signin, state

PAGES = {
    "ward": st.Page(common.WARD_PAGE, title="Ward", icon=":material/groups:", default=True),
    "patient": st.Page(
        common.PATIENT_PAGE, title="Patient", icon=":material/person:", url_path="patient"
    ),
    "import": st.Page(
        common.IMPORT_PAGE, title="Import", icon=":material/upload_file:", url_path="import"
    ),
    "protocol": st.Page(
        common.PROTOCOL_PAGE, title="Protocol", icon=":material/rule:", url_path="protocol"
    ),
    "settings": st.Page(
        common.SETTINGS_PAGE, title="Settings", icon=":material/settings:", url_path="settings"
    ),
}


def run() -> None:
    st.set_page_config(
        page_title="IL-2 toxicity monitor",
        page_icon=":material/monitoring:",
        layout="wide",
        initial_sidebar_state="expanded",
    )
    st.markdown(common.PAGE_CSS, unsafe_allow_html=True)  # screen padding, print rules
    try:
        state.init()
        person = signin.gate()  # stops here at the sign-in screen
    except MonitorUserError as error:  # the store cannot be used: say why, show nothing
        st.error(f"The ward's record cannot be used: {common.plain(str(error))}")
        st.stop()
    # A page the role may not use is not offered at all (the page checks again).
    pages = [p for key, p in PAGES.items() if key != "import" or person.may(Action.IMPORT)]
    page = st.navigation(pages)
    page.run()


run()
