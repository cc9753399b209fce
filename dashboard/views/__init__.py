"""View models: what the screens show, as pure functions over the core's results.

Nothing here imports streamlit, so every rule about what a nurse sees (words, order,
colours, the "as of" time, what is missing) is unit-testable without a browser.
"""
