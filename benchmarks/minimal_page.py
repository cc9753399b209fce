"""The yardstick page of bench_app.py: one plotly chart and nothing else."""

# Run by bench_app.py as `python -m streamlit run benchmarks/...` from the repository's root,
# which puts the root (and so `dashboard`) on sys.path.
import streamlit as st

from dashboard.figures import minimal_figure

st.plotly_chart(minimal_figure())
