"""How forecasts are judged: the metrics, computed on the test targets in the series' own units."""
