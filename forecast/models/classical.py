"""Automatic ARIMA and exponential smoothing, the classical peers of the LSTM, fitted with statsmodels.

AutoARIMA and AutoETS select and fit their model with statsmodels (imported when they are fitted, since it costs
most of a second and about 80 MB): statsforecast is what practitioners use, but it pins pandas < 3, and the
measured accuracy of the selection below matches its AutoARIMA on airline passengers
(bench/classical_libraries.py). Each is fitted on the training part only; one-step forecasts run the fitted
model over the true values without refitting; recursive ones forecast from the origin. Both also give the
library's own prediction intervals around the recursive forecast (`bands`), in the series' own units.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import warnings
from collections.abc import Iterator, Sequence

import numpy as np

from forecast.data import stationarity, transform
from forecast.models.base import Forecaster, as_series

__all__ = ["AutoARIMA", "AutoETS"]


@contextlib.contextmanager
def _statsmodels_quietly() -> Iterator[None]:
    """Import the statsmodels parts used here, then ignore its warnings for the duration.

    statsmodels warns about start parameters, convergence and KPSS table bounds on many candidate models; the
    AICc comparison is what decides, so those warnings say nothing actionable. It installs "always" filters for
    its own warning classes when first imported, so the imports must come before the "ignore".
    """
    import statsmodels.tsa.exponential_smoothing.ets
    import statsmodels.tsa.seasonal
    import statsmodels.tsa.statespace.sarimax
    import statsmodels.tsa.stattools  # noqa: F401

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


# Hyndman & Khandakar's stepwise search (R's forecast::auto.arima, statsforecast's AutoARIMA), with their order
# bounds, and two more for a playground that refits it in every backtest window of every click:
# - at most MAX_MODELS models per search (theirs: 94). On 15 public series the search fitted 10–34 models
#   (median 13); the two that went past 30 chose the same model with this bound.
# - the orders are searched on the last SEARCH_LENGTH values (of the differenced series), and the chosen order
#   is then fitted on all of it: each seasonal candidate on a 720-value monthly series took 0.5–0.9 s, 9 s per
#   search, and a recent stretch of 20 seasons picks an order as well as the whole (bench/speed.py measures it).
MAX_P, MAX_Q, MAX_SEASONAL_P, MAX_SEASONAL_Q, MAX_ORDER = 5, 5, 2, 2, 5
MAX_MODELS = 30
SEARCH_LENGTH = 240

# Prediction intervals: levels in whole percent; ETS forms without an analytic variance are simulated.
MIN_LEVEL, MAX_LEVEL = 50, 99
SIMULATED_PATHS = 5000  # the 99 % edges then stand on 25 paths each, not the default 1000's 5
SIMULATION_SEED = 0  # a fixed seed: the same inputs give the same bands


def _checked_levels(levels: Sequence[int]) -> list[int]:
    """`levels` as a list of ints, or a ValueError naming the first that is not a whole percentage in 50–99."""
    if isinstance(levels, str) or np.ndim(levels) != 1 or len(levels) == 0:
        raise ValueError(f"levels must be a non-empty sequence of percentages, e.g. (80, 95), got {levels!r}")
    for level in levels:
        # bool is an int to Python, but True is no percentage.
        whole = isinstance(level, (int, np.integer)) and not isinstance(level, (bool, np.bool_))
        if not whole or not MIN_LEVEL <= level <= MAX_LEVEL:
            raise ValueError(
                f"each level must be a whole percentage from {MIN_LEVEL} to {MAX_LEVEL} (e.g. 80 or 95), got {level!r}"
            )
    return [int(level) for level in levels]


def _neighbours(order: tuple[int, int, int, int, bool]) -> list[tuple[int, int, int, int, bool]]:
    """The orders one step from `order` in the stepwise search (as in Hyndman & Khandakar's auto.arima)."""
    p, q, seasonal_p, seasonal_q, constant = order
    neighbours = [(p + step, q, seasonal_p, seasonal_q, constant) for step in (-1, 1)]
    neighbours += [(p, q + step, seasonal_p, seasonal_q, constant) for step in (-1, 1)]
    neighbours += [(p, q, seasonal_p + step, seasonal_q, constant) for step in (-1, 1)]
    neighbours += [(p, q, seasonal_p, seasonal_q + step, constant) for step in (-1, 1)]
    neighbours += [(p + step, q + step, seasonal_p, seasonal_q, constant) for step in (-1, 1)]
    neighbours += [(p, q, seasonal_p + step, seasonal_q + step, constant) for step in (-1, 1)]
    neighbours.append((p, q, seasonal_p, seasonal_q, not constant))
    return neighbours


class _StatsmodelsModel(Forecaster):
    """What the automatic statsmodels baselines share: an optional season, the fitted results, a minimum length."""

    def __init__(self, season_length: int = 0) -> None:
        super().__init__()
        if season_length < 0:
            raise ValueError(f"season_length must be 0 (none) or at least 2, got {season_length}")
        self.season_length = int(season_length) if season_length >= 2 else 0
        self.results = None

    @property
    def min_train_length(self) -> int:
        return 8

    def bands(self, horizon: int, levels: Sequence[int], observed: np.ndarray | None = None) -> np.ndarray:
        """Lower and upper edges of the library's prediction intervals for the recursive forecast of the next
        `horizon` values (after `observed`, as `forecast` takes it, without refitting): shape (len(levels), 2, horizon),
        levels in percent (50–99)."""
        train = self.train
        if horizon < 1:
            raise ValueError(f"horizon must be at least 1, got {horizon}")
        levels = _checked_levels(levels)
        history = train if observed is None else np.concatenate([train, as_series(observed, "observed")])
        with _statsmodels_quietly():
            edges = self._edges(history, int(horizon), levels)
        return np.asarray(edges, dtype=np.float64).reshape(len(levels), 2, horizon)

    def _edges(self, history: np.ndarray, horizon: int, levels: list[int]) -> np.ndarray:
        """The intervals after `history` at each level, (len(levels), 2, horizon): one prediction for all levels."""
        raise NotImplementedError


class AutoARIMA(_StatsmodelsModel):
    """Automatic seasonal ARIMA: differencing chosen by tests, (p, q)(P, Q) by a stepwise AICc search.

    The differencing is done with forecast.data.transform and an ARMA is fitted to the differenced series by
    statsmodels' SARIMAX (the likelihood conditional on the first values, as `simple_differencing=True` does:
    many times faster than the diffuse initialisation of the differences). A constant is allowed when at most
    one difference is taken (a mean, or a drift). One-step forecasts run the fitted model's filter over the true
    test values without refitting. Its prediction intervals (`bands`) are SARIMAX's own for the same model written
    on the levels, the differencing inside its state, so they fan out as the integrated errors accumulate.
    """

    name = "arima"

    def __init__(self, season_length: int = 0) -> None:
        super().__init__(season_length)
        self.chain = transform.TransformChain()
        self.order: tuple[int, int, int, int, bool] | None = None  # (p, q, P, Q, constant)

    @property
    def description(self) -> str:
        """The selected model in the usual notation, e.g. "ARIMA(1,1,0)(0,1,0)[12]"."""
        if self.order is None:
            return "ARIMA (not fitted)"
        p, q, seasonal_p, seasonal_q, constant = self.order
        text = f"ARIMA({p},{self.chain.difference},{q})"
        if self.season_length:
            text += f"({seasonal_p},{self.chain.seasonal_difference},{seasonal_q})[{self.season_length}]"
        if not constant:
            return text
        # A constant in the differenced series is a drift of the levels.
        return text + (" with drift" if self.chain.lost else " with non-zero mean")

    def _arma(self, values: np.ndarray, order: tuple[int, int, int, int, bool]):
        from statsmodels.tsa.statespace.sarimax import SARIMAX

        p, q, seasonal_p, seasonal_q, constant = order
        seasonal = (seasonal_p, 0, seasonal_q, self.season_length) if self.season_length else (0, 0, 0, 0)
        return SARIMAX(values, order=(p, 0, q), seasonal_order=seasonal, trend="c" if constant else None)

    def _fit(self, train: np.ndarray) -> None:
        with _statsmodels_quietly():
            seasonal_difference = 0
            if self.season_length and len(train) >= 2 * self.season_length + 2:
                strength = stationarity.seasonal_strength(train, self.season_length)
                seasonal_difference = int(strength > stationarity.SEASONAL_STRENGTH_THRESHOLD)
            seasonal = transform.TransformChain(
                seasonal_difference=seasonal_difference, season_length=self.season_length
            )
            difference = stationarity.differences_needed(transform.apply(train, seasonal))
            self.chain = transform.TransformChain(
                difference=difference, seasonal_difference=seasonal_difference, season_length=self.season_length
            )
            differenced = transform.apply(train, self.chain)
            self.order, self.results = self._search(differenced, allow_constant=difference + seasonal_difference <= 1)

    def _allowed(self, order: tuple[int, int, int, int, bool], start: bool, allow_constant: bool) -> bool:
        """Whether the search may fit this order: within the bounds, seasonal only with a season."""
        p, q, seasonal_p, seasonal_q, constant = order
        if min(p, q, seasonal_p, seasonal_q) < 0 or p > MAX_P or q > MAX_Q:
            return False
        if seasonal_p > MAX_SEASONAL_P or seasonal_q > MAX_SEASONAL_Q:
            return False
        if (seasonal_p or seasonal_q) and not self.season_length:
            return False
        if constant and not allow_constant:
            return False
        return start or p + q + seasonal_p + seasonal_q <= MAX_ORDER

    def _search(self, values: np.ndarray, allow_constant: bool):
        """The order with the lowest AICc on the last SEARCH_LENGTH values, and its fit to all of `values`."""
        order, results = self._stepwise(values[-SEARCH_LENGTH:], allow_constant)
        if len(values) > SEARCH_LENGTH:
            try:
                results = self._arma(values, order).fit(disp=False)
            except (ValueError, np.linalg.LinAlgError):
                order, results = (0, 0, 0, 0, False), self._arma(values, (0, 0, 0, 0, False)).fit(disp=False)
        return order, results

    def _stepwise(self, values: np.ndarray, allow_constant: bool):
        fitted: dict[tuple[int, int, int, int, bool], tuple[float, object]] = {}

        def score(order: tuple[int, int, int, int, bool], start: bool = False) -> float:
            if order in fitted:
                return fitted[order][0]
            if not self._allowed(order, start, allow_constant) or len(fitted) >= MAX_MODELS:
                return math.inf
            try:
                results = self._arma(values, order).fit(disp=False)
                aicc = float(results.aicc)
            except (ValueError, np.linalg.LinAlgError):
                results, aicc = None, math.inf
            fitted[order] = (aicc if math.isfinite(aicc) else math.inf, results)
            return fitted[order][0]

        seasonal = 1 if self.season_length else 0
        starts = [(2, 2, seasonal, seasonal), (0, 0, 0, 0), (1, 0, seasonal, 0), (0, 1, 0, seasonal)]
        best = min(((*start, allow_constant) for start in starts), key=lambda order: score(order, start=True))
        improved = True
        while improved:
            improved = False
            for order in _neighbours(best):
                if score(order) < score(best):
                    best, improved = order, True
                    break
        if fitted.get(best, (math.inf, None))[1] is None:
            # Nothing could be fitted: fall back to white noise on the differenced series, which always fits.
            best = (0, 0, 0, 0, False)
            fitted[best] = (math.inf, self._arma(values, best).fit(disp=False))
        return best, fitted[best][1]

    def _forecast(self, history: np.ndarray, horizon: int) -> np.ndarray:
        results = self.results
        observed = len(history) - len(self.train)
        if observed:
            # The fitted model's filter run on over the observed values, then forecasting: no refit.
            with _statsmodels_quietly():
                results = results.append(transform.apply(history, self.chain)[-observed:], refit=False)
        changes = np.asarray(results.forecast(horizon))
        return transform.invert_recursive(history, changes, self.chain)

    def _integrated(self, history: np.ndarray):
        """The fitted model written on the levels of `history`, its differencing inside, filtered without refitting.

        SARIMAX's (p, d, q)(P, D, Q) model is φ(B)Φ(Bˢ)(1 − B)ᵈ(1 − Bˢ)ᴰ y = c + θ(B)Θ(Bˢ) e: its constant c
        enters the differenced series (the state after the differencing states), exactly as the fitted ARMA's
        does, so the fitted parameter vector (constant, AR, MA, variance) is this model's too.
        """
        from statsmodels.tsa.statespace.sarimax import SARIMAX

        p, q, seasonal_p, seasonal_q, constant = self.order
        seasonal = (0, 0, 0, 0)
        if self.season_length:
            seasonal = (seasonal_p, self.chain.seasonal_difference, seasonal_q, self.season_length)
        # An exact diffuse start: the first `lost` values fix the differencing states and say nothing about the
        # ARMA part, whose stationary start then matches the fit's on the differences; the filter, forecasts
        # and variances are those of the fitted model (the approximate diffuse default is only close).
        model = SARIMAX(
            history,
            order=(p, self.chain.difference, q),
            seasonal_order=seasonal,
            trend="c" if constant else None,
            use_exact_diffuse=True,
        )
        return model.filter(np.asarray(self.results.params))

    def _edges(self, history: np.ndarray, horizon: int, levels: list[int]) -> np.ndarray:
        # Gaussian intervals in the series' own units: the forecast variance carries the integration.
        prediction = self._integrated(history).get_forecast(horizon)
        return np.stack([np.asarray(prediction.conf_int(alpha=1 - level / 100)).T for level in levels])

    def _one_step(self, train: np.ndarray, test: np.ndarray) -> np.ndarray:
        series = np.concatenate([train, test])
        differenced = transform.apply(series, self.chain)
        n_train = len(differenced) - len(test)
        with _statsmodels_quietly():
            # append(refit=False): the same parameters, the filter run on over the true test values.
            extended = self.results.append(differenced[n_train:], refit=False)
            changes = np.asarray(extended.predict(start=n_train, end=len(differenced) - 1))
        return transform.invert_one_step(series, changes, len(train), self.chain)


class AutoETS(_StatsmodelsModel):
    """Automatic exponential smoothing: every error / trend / season form fitted, the lowest AICc kept.

    The forms are those of R's forecast::ets with its default restrictions: additive or multiplicative error,
    no, additive or damped trend, no, additive or multiplicative season (multiplicative forms only for positive
    series; no additive error with a multiplicative season). One-step forecasts smooth the whole series with the
    fitted parameters, never refitted. Its prediction intervals (`bands`) are statsmodels' own: analytic for the
    additive forms, quantiles of simulated paths (fixed seed) for the multiplicative ones.
    """

    name = "ets"

    def __init__(self, season_length: int = 0) -> None:
        super().__init__(season_length)
        self.form: dict | None = None

    @property
    def description(self) -> str:
        """The selected model in the usual notation, e.g. "ETS(M,A,M)"."""
        if self.form is None:
            return "ETS (not fitted)"
        letter = {None: "N", "add": "A", "mul": "M"}
        trend = letter[self.form["trend"]] + ("d" if self.form["damped_trend"] else "")
        return f"ETS({letter[self.form['error']]},{trend},{letter[self.form['seasonal']]})"

    def _model(self, values: np.ndarray, form: dict):
        from statsmodels.tsa.exponential_smoothing.ets import ETSModel

        return ETSModel(values, **form, seasonal_periods=self.season_length if form["seasonal"] else None)

    def _fit(self, train: np.ndarray) -> None:
        positive = bool(np.all(train > 0))
        errors = ["add", "mul"] if positive else ["add"]
        trends = [(None, False), ("add", False), ("add", True)]
        seasonals: list[str | None] = [None]
        # A season needs two whole cycles to be estimated at all.
        if self.season_length and len(train) >= 2 * self.season_length + 2:
            seasonals += ["add", "mul"] if positive else ["add"]
        best = (math.inf, None, None)
        with _statsmodels_quietly():
            from statsmodels.tools.eval_measures import aicc as corrected_aic

            for error, (trend, damped), seasonal in itertools.product(errors, trends, seasonals):
                if error == "add" and seasonal == "mul":
                    continue
                form = {"error": error, "trend": trend, "damped_trend": damped, "seasonal": seasonal}
                model = self._model(train, form)
                try:
                    # The parameters alone: a full results object also approximates their covariance (a numeric
                    # Hessian, a fifth of each fit), which only the chosen form needs. The AICc is the results'
                    # own formula (its parameters plus the concentrated scale).
                    params = model.fit(disp=False, return_params=True)
                    aicc = float(corrected_aic(model.loglike(params), model.nobs, len(params) + 1))
                except (ValueError, np.linalg.LinAlgError):
                    continue
                if math.isfinite(aicc) and aicc < best[0]:
                    best = (aicc, form, (model, params))
            if best[2] is None:
                raise ValueError("no exponential smoothing model could be fitted to this training part")
            model, params = best[2]
            self.form, self.results = best[1], model.smooth(params)

    def _forecast(self, history: np.ndarray, horizon: int) -> np.ndarray:
        if len(history) == len(self.train):
            return np.asarray(self.results.forecast(horizon))
        # Smoothing the longer history with the fitted parameters moves the states on, without refitting.
        with _statsmodels_quietly():
            return np.asarray(self._model(history, self.form).smooth(self.results.params).forecast(horizon))

    def _edges(self, history: np.ndarray, horizon: int, levels: list[int]) -> np.ndarray:
        import pandas as pd

        # Smoothing `history` with the fitted parameters moves the states on (as `_forecast` does); the error
        # variance is then the mean squared one-step error over all of `history`. The endog is a pandas series
        # because statsmodels 0.15's ETS get_prediction reads `predicted_mean.index`, which a numpy endog lacks.
        smoothed = self._model(pd.Series(history), self.form).smooth(self.results.params)
        start = len(history)
        prediction = smoothed.get_prediction(
            start=start,
            end=start + horizon - 1,
            simulate_repetitions=SIMULATED_PATHS,
            rng=np.random.default_rng(SIMULATION_SEED),
        )
        if prediction.method != "simulated":
            return np.stack([np.asarray(prediction.pred_int(alpha=1 - level / 100)).T for level in levels])
        # pred_int's simulated edges are the paths' alpha/2 and 1 − alpha/2 quantiles, taken one level at a time;
        # one np.quantile call for every level gives the same numbers and partitions the paths once, not 100 times.
        # The paths are read past the results wrapper, whose pandas wrapping of them fails (statsmodels 0.15).
        paths = np.asarray(prediction._results.simulation_results)
        alphas = 1 - np.asarray(levels) / 100
        quantiles = np.quantile(paths, np.concatenate([alphas / 2, 1 - alphas / 2]), axis=1)
        return np.stack([quantiles[: len(levels)], quantiles[len(levels) :]], axis=1)

    def _one_step(self, train: np.ndarray, test: np.ndarray) -> np.ndarray:
        series = np.concatenate([train, test])
        with _statsmodels_quietly():
            smoothed = self._model(series, self.form).smooth(self.results.params)
        return np.asarray(smoothed.fittedvalues)[len(train) :]

    def _paths(self, test: np.ndarray, max_steps: int) -> np.ndarray:
        # One smoothing pass over the whole series holds the state at every origin; each path is simulated from
        # its origin's state without errors, which is the forecast after smoothing that prefix alone (the same
        # numbers as the generic path, a smoothing per origin, at a tenth of the cost). statsmodels anchors a
        # simulation at the state after value `anchor`, so the path after the first o test values starts there.
        train = self.train
        with _statsmodels_quietly():
            smoothed = self._model(np.concatenate([train, test]), self.form).smooth(self.results.params)
            paths = np.full((len(test), max_steps), np.nan)
            for origin in range(len(test)):
                steps = min(max_steps, len(test) - origin)
                anchor = len(train) + origin - 1
                paths[origin, :steps] = smoothed.simulate(steps, anchor=anchor, random_errors=np.zeros((steps, 1)))
        return paths
