"""Reading the real page: chart traces from Plotly's own data, widget values, metric tables."""

from __future__ import annotations

from forecast.config import Config
from forecast.config.fields import to_query_params

IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
# Small enough to train in about a second once the worker is warm.
TINY_QUERY = to_query_params(
    Config(x_start=-10.0, x_end=10.0, x_step=0.25, lookback=5, layers=1, units=4, epochs=3, batch_size=16)
)


def query(config_params: dict[str, str]) -> str:
    from urllib.parse import urlencode

    return "?" + urlencode(config_params)


def wait_for_result(page, timeout: float = 180_000) -> None:
    """Wait until a run has finished with a trained result on screen (metrics table present, no progress)."""
    page.wait_for_function(
        """() => {
            const app = document.querySelector('[data-testid="stApp"]');
            return app && app.dataset.testScriptState === 'notRunning'
                && !document.querySelector('[data-testid="stProgress"]')
                && document.querySelector('[data-testid="stTable"]') !== null;
        }""",
        timeout=timeout,
    )


def traces(page, index: int = 0, key: str | None = None) -> dict[str, dict]:
    """Name → {x, y} of the index-th Plotly chart (or the one whose key is `key`), as Plotly actually drew it."""
    charts = f'.st-key-{key} [data-testid="stPlotlyChart"]' if key else '[data-testid="stPlotlyChart"]'
    selector = f"{charts} .js-plotly-plot"
    # Plotly draws after Streamlit has delivered the element: wait for the drawn chart, not just its container.
    page.wait_for_function(
        """([selector, index]) => {
            const plot = document.querySelectorAll(selector)[index];
            return plot && plot._fullData && plot._fullData.length > 0;
        }""",
        arg=[selector, index],
        timeout=30_000,
    )
    data = page.evaluate(
        """([selector, index]) => {
            const plot = document.querySelectorAll(selector)[index];
            // _fullData holds the arrays Plotly drew, decoded from the typed-array JSON Streamlit sends.
            return plot ? plot._fullData.map(t => ({name: t.name, x: Array.from(t.x || []), y: Array.from(t.y || [])}))
                        : null;
        }""",
        [selector, index],
    )
    assert data is not None, "no Plotly chart on the page"
    return {trace["name"]: trace for trace in data}


def metrics_text(page) -> str:
    return page.locator('[data-testid="stTable"]').first.inner_text()


def reading(page) -> str:
    return page.locator('[data-testid="stAlertContentInfo"]').first.inner_text()


def choose(page, key: str, option: str) -> None:
    """Pick `option` in the select box whose widget key is `key`."""
    page.locator(f".st-key-{key}").click()
    page.get_by_role("option", name=option, exact=True).click()


def no_exception(page) -> bool:
    return page.locator('[data-testid="stException"]').count() == 0
