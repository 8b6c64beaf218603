"""The Streamlit app's parts: the only code that imports Streamlit.

- `state`: the session's state, one dataclass under one key, initialised once (from the URL).
- `services`: what every session shares (the result cache, the training service) and cached views.
- `page`: the config the sidebar describes, its series, and the one place where their problems are shown.
- `sidebar`: the settings (only the chosen data source's inputs).
- `status`: training progress, the Stop button, and resolving a config's results.
- `views`: one module per tab.
"""
