"""The yardstick page of bench_app.py: one plotly chart and nothing else."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import streamlit as st

from dashboard.figures import minimal_figure

st.plotly_chart(minimal_figure())
