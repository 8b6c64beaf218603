"""What every session shares: the server's lifespan hook that starts the training service."""

from __future__ import annotations

import asyncio
import logging

from forecast.ui import services


def _run_lifespan() -> list[str]:
    """Enter and leave the lifespan as the server does; what happened in between."""
    events = []

    async def serve() -> None:
        async with services.start_with_server(object()):
            events.append("serving")

    asyncio.run(serve())
    return events


def test_the_lifespan_starts_the_training_service_before_serving(monkeypatch):
    events = []
    monkeypatch.setattr(services, "training_service", lambda: events.append("started"))
    events += _run_lifespan()
    assert events == ["started", "serving"]


def test_a_service_that_cannot_start_does_not_stop_the_server(monkeypatch, caplog):
    def broken() -> None:
        raise RuntimeError("no processes left")

    monkeypatch.setattr(services, "training_service", broken)
    with caplog.at_level(logging.ERROR, logger=services.__name__):
        assert _run_lifespan() == ["serving"]
    assert "the first page will retry" in caplog.text
    assert "no processes left" in caplog.text
