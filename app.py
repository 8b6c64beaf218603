"""LSTM Forecast Playground: placeholder page until the dashboard lands."""

import streamlit as st

from forecast.config import DEFAULT_CONFIG
from forecast.data import make_series
from forecast.plots import series_figure


def main() -> None:
    st.set_page_config(page_title="LSTM Forecast Playground", layout="wide")
    st.title("LSTM Forecast Playground")
    xs, ys = make_series(DEFAULT_CONFIG)
    st.plotly_chart(series_figure(xs, ys), key="series")
    st.caption("Train from the command line for now: python -m forecast --help")


if __name__ == "__main__":
    main()
