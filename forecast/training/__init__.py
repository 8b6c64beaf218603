"""Training away from the calling process: jobs shared between sessions, a backend that runs them, the cache.

- `child`: what runs inside a worker process (initialiser, the training task, cancel flags).
- `pool`: the local backend, a recycled pool of spawned worker processes.
- `backend`: the interface a backend implements.
- `ray_backend`: the other backend, Ray tasks on a cluster (optional: requirements-ray.txt; imported only on demand).
- `choice`: which backend a process uses: the local pool, or Ray when FORECAST_RAY_ADDRESS is set.
- `jobs`: a job's state, and the registry of jobs in flight (deduplication, subscribers, grace, queue).
- `service`: the `TrainingService` the app uses, tying them together.
"""

from forecast.training.backend import Backend, JobEvents
from forecast.training.jobs import Job, JobState, Subscription
from forecast.training.service import TrainingService

__all__ = ["Backend", "Job", "JobEvents", "JobState", "Subscription", "TrainingService"]
