"""Which backend trains: the local process pool (the default), or a Ray cluster when an address is configured.

Ray is an optional dependency (requirements-ray.txt), so it is imported only when an address asks for it.
"""

from __future__ import annotations

import os

from forecast.training.pool import DEFAULT_TRAININGS_PER_WORKER
from forecast.training.ray_address import ADDRESS_VARIABLE
from forecast.training.service import TrainingService

__all__ = ["ADDRESS_VARIABLE", "ray_address", "training_service"]


def ray_address(explicit: str | None = None) -> str | None:
    """The Ray cluster to train on: `explicit` (the CLI's --ray-address) or `FORECAST_RAY_ADDRESS`; None: locally."""
    address = explicit if explicit is not None else os.environ.get(ADDRESS_VARIABLE, "")
    return address.strip() or None


def training_service(
    address: str | None,
    *,
    max_concurrent: int = 1,
    trainings_per_worker: int = DEFAULT_TRAININGS_PER_WORKER,
    warm_up: bool = True,
) -> TrainingService:
    """A training service on the Ray cluster at `address`, or on a local pool when `address` is None.

    Raises ValueError with one sentence when the cluster cannot be reached (or Ray is not installed); the app
    then says so and trains locally, the CLI exits with status 2. `max_concurrent` applies to the local pool:
    on Ray, the cluster's CPUs decide.
    """
    if address is None:
        return TrainingService(
            max_concurrent=max_concurrent, trainings_per_worker=trainings_per_worker, warm_up=warm_up
        )
    try:
        from forecast.training import ray_backend
    except ImportError as error:
        raise ValueError(
            f"{ADDRESS_VARIABLE} is set to {address} but Ray cannot be imported ({error}): "
            f"pip install -r requirements-ray.txt, or unset it to train locally"
        ) from None
    return TrainingService(backend=ray_backend.RayBackend(address, trainings_per_worker=trainings_per_worker))
