"""LSTM Forecast Playground: the Streamlit entry point.

Thin by design: the session's state, the sidebar, the training status and one module per tab live in
`forecast.ui`; the `forecast` library does all the numerics (training happens in worker processes, so this
process never imports TensorFlow). The same file also defines the server's `st.App` (at the bottom), which
starts the training workers when the server starts.
"""

from __future__ import annotations

# Training workers are started with `spawn`, which runs this file again in every worker, as "__mp_main__". They
# need none of the page, so only a real run imports it: Streamlit and the UI cost each worker 0.5 s on the first
# visit's critical path (before its TensorFlow import) and about 60 MB.
if __name__ == "__main__":
    import streamlit as st

    from forecast.ui import page as page_module
    from forecast.ui import services, sidebar, tabs
    from forecast.ui import state as state_module


def header() -> None:
    st.title("LSTM Forecast Playground")
    st.caption(
        "Train a stacked LSTM on a function of x or a real series and see its predictions over the actual "
        "curve, beside honest baselines and the honest multi-step forecast."
    )


def main() -> None:
    st.set_page_config(page_title="LSTM Forecast Playground", page_icon="📈", layout="wide")
    # Before this session creates anything: the imports' objects stop costing every rerun a full GC walk.
    services.freeze_startup_objects()
    # Starting the worker pool costs nothing here, and lets its TensorFlow import overlap the first paint.
    service, cache = services.training_service(), services.result_cache()
    state = state_module.get()
    header()
    services.show_backend_problem()
    # Before the sidebar is drawn: a link that cannot be used may still put the defaults in its widgets.
    page = page_module.prepare(state)
    with st.sidebar:
        sidebar.render(state)
    if page is not None:
        tabs.render(page, state, service, cache)


if __name__ == "__main__":
    main()
elif __name__ != "__mp_main__":
    # The server's side. `streamlit run app.py` finds this App (Streamlit's ASGI entry point) and serves this same
    # file as the page, as it would without it; the App adds a lifespan hook, which starts the training workers
    # with the server instead of at the first script run: their TensorFlow import then overlaps the first
    # visitor's page load (first visit to the metrics table ~1.35x -> ~1.1x the CLI's time: bench/latency.py).
    import streamlit as st

    from forecast.ui.services import start_with_server

    app = st.App(__file__, lifespan=start_with_server)
