"""The original blog post's recipe, faithfully: Keras Sequential + fit, timing only `fit`.

Run alone it prints one JSON line: `python -m bench.reference --seed 0`. The speed benchmark runs it in a fresh
process per seed, so that it pays the same start-up costs as the project's trainer does.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def reference_fit(seed: int, epochs: int = 200) -> dict[str, float]:
    """Train the original network the original way and return its fit time and test one-step RMSE."""
    import keras
    import numpy as np

    keras.utils.set_random_seed(seed)
    time_steps = 5
    # The post's data, verbatim: 400 points from -20.0 to 19.9, y = x*sin(x), no scaling.
    xs = [x * 0.01 for x in range(-2000, 2000, 10)]
    ys = [x * math.sin(x) for x in xs]
    sequence_x = [ys[i : i + time_steps] for i in range(len(ys) - time_steps)]
    sequence_y = [ys[i + time_steps] for i in range(len(ys) - time_steps)]
    split_position = int(len(sequence_x) * 0.8)
    train_x = np.reshape(sequence_x[:split_position], (split_position, time_steps, 1))
    train_y = np.array(sequence_y[:split_position])
    test_x = np.reshape(sequence_x[split_position:], (len(sequence_x) - split_position, time_steps, 1))
    test_y = np.array(sequence_y[split_position:])

    model = keras.Sequential()
    model.add(keras.Input(shape=(time_steps, 1)))
    model.add(keras.layers.LSTM(32, return_sequences=True))
    model.add(keras.layers.LSTM(32, return_sequences=True))
    model.add(keras.layers.LSTM(32))
    model.add(keras.layers.Dense(1))
    model.compile(loss="mean_squared_error", optimizer="adam")
    started = time.perf_counter()
    model.fit(train_x, train_y, batch_size=50, epochs=epochs, verbose=0)
    fit_seconds = time.perf_counter() - started
    predictions = model.predict(test_x, verbose=0)[:, 0]
    rmse = float(np.sqrt(np.mean((predictions - test_y) ** 2)))
    return {"seed": seed, "fit_seconds": fit_seconds, "rmse": rmse}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=200)
    arguments = parser.parse_args()
    print(json.dumps(reference_fit(arguments.seed, arguments.epochs)))


if __name__ == "__main__":
    main()
