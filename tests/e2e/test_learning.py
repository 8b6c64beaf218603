"""Watching the LSTM learn in a real browser: the forecast redrawn while it trains, the epoch scrubber, the window
behind a point."""

from __future__ import annotations

import numpy as np
import pytest

from forecast.config import Config
from forecast.config.fields import to_query_params
from forecast.report.learning_plots import HIGHLIGHT_NAMES
from forecast.report.plots import TRACE_NAMES
from forecast.run import pipeline
from tests.e2e.helpers import no_exception, query, traces, wait_for_result

# Small and long enough to train for several seconds with a snapshot every 5 epochs: the chart has time to change.
WATCHED = Config(
    x_start=-10.0, x_end=10.0, x_step=0.25, lookback=5, layers=1, units=4, epochs=600, batch_size=2, snapshot_every=5
)
RECURSIVE = TRACE_NAMES["recursive"]

# Records, every animation frame while the progress bar shows, each distinct recursive forecast drawn in the series
# chart, and frames in which no drawn chart is there once one was (a flicker).
RECORD = (
    f"const RECURSIVE = '{RECURSIVE}';"
    + """
window.__drawn = []; window.__blank = 0; let seen = false;
function tick() {
  if (document.querySelector('[data-testid="stProgress"]')) {
    const plots = [...document.querySelectorAll('.js-plotly-plot')]
      .filter(p => (p._fullData || []).some(t => t.name === 'Actual'));
    const drawn = plots.filter(p => p.querySelector('.main-svg') && p.getBoundingClientRect().height > 100);
    if (drawn.length) seen = true; else if (seen) window.__blank++;
    for (const plot of drawn) {
      const line = (plot._fullData || []).find(t => (t.name || '').startsWith(RECURSIVE));
      const text = line ? JSON.stringify(Array.from(line.y)) : null;
      if (text && !window.__drawn.includes(text)) window.__drawn.push(text);
    }
  }
  requestAnimationFrame(tick);
}
requestAnimationFrame(tick);
"""
)


@pytest.fixture(scope="module")
def expected() -> pipeline.RunResult:
    """The same run in this process: the page must draw exactly its snapshots."""
    return pipeline.run_all(WATCHED)


def test_the_forecast_is_redrawn_while_the_network_trains(server, page):
    page.add_init_script(RECORD)
    page.goto(server.url + query(to_query_params(WATCHED)))
    wait_for_result(page, timeout=300_000)
    drawn = page.evaluate("() => window.__drawn")
    assert len(drawn) >= 3, f"the forecast changed {len(drawn)} times while the network trained"
    assert page.evaluate("() => window.__blank") == 0, "the chart vanished between two updates"
    assert no_exception(page)


def _drawn_recursive(page) -> list[float]:
    return traces(page, key="forecast_chart")[RECURSIVE]["y"]


def test_the_scrubber_replays_a_saved_epoch(server, page, expected):
    page.goto(server.url + query(to_query_params(WATCHED)))
    wait_for_result(page, timeout=300_000)
    np.testing.assert_allclose(_drawn_recursive(page), expected.result.test_forecast("lstm", "recursive"), rtol=1e-5)
    # The slider's first position: the snapshot after epoch 5.
    rail = page.locator(".st-key-forecast_chart .slider-rail-rect").bounding_box()
    page.mouse.click(rail["x"] + 1, rail["y"] + rail["height"] / 2)
    first = expected.result.snapshots[0]
    assert first.epoch == 5
    page.wait_for_function(
        """([name, expectedFirst]) => {
            const plot = document.querySelector('.st-key-forecast_chart .js-plotly-plot');
            const line = plot._fullData.find(t => t.name === name);
            return Math.abs(line.y[0] - expectedFirst) < 1e-6 * Math.max(1, Math.abs(expectedFirst));
        }""",
        arg=[RECURSIVE, float(first.recursive[0])],
        timeout=10_000,
    )
    np.testing.assert_allclose(_drawn_recursive(page), first.recursive, rtol=1e-5)
    slider = page.evaluate("() => document.querySelector('.st-key-forecast_chart .slider-container').textContent")
    assert "epoch 5" in slider


def test_clicking_a_prediction_rings_the_window_behind_it(server, page, expected):
    page.goto(server.url + query(to_query_params(WATCHED)))
    wait_for_result(page, timeout=300_000)
    step = 6
    traces(page, key="forecast_chart")  # waits until Plotly has drawn the chart
    # Where Plotly drew the 7th one-step prediction, in page coordinates.
    point = page.evaluate(
        """([name, step]) => {
            const plot = document.querySelector('.st-key-forecast_chart .js-plotly-plot');
            const index = plot._fullData.findIndex(t => t.name === name);
            const trace = plot._fullData[index], layout = plot._fullLayout, box = plot.getBoundingClientRect();
            return {x: box.left + layout.xaxis._offset + layout.xaxis.l2p(trace.x[step]),
                    y: box.top + layout.yaxis._offset + layout.yaxis.l2p(trace.y[step])};
        }""",
        [TRACE_NAMES["one_step"], step],
    )
    page.mouse.click(point["x"], point["y"])
    page.wait_for_function(
        """(name) => {
            const plot = document.querySelector('.st-key-forecast_chart .js-plotly-plot');
            return plot && plot._fullData.some(t => t.name === name);
        }""",
        arg=HIGHLIGHT_NAMES["true"],
        timeout=30_000,
    )
    ringed = traces(page, key="forecast_chart")[HIGHLIGHT_NAMES["true"]]
    result = expected.result
    origin = result.n_points - result.n_test
    np.testing.assert_allclose(ringed["x"], result.xs[origin + step - 5 : origin + step])
    assert (
        "computed from the 5 values before it, all true values"
        in page.get_by_text("one-step prediction at").inner_text()
    )
    assert no_exception(page)
