"""The training status (forecast/ui/status.py): following trainings until each one ends."""

from __future__ import annotations

import streamlit as st

from forecast.run.keys import Task
from forecast.training.jobs import Job, JobRegistry, Subscription
from forecast.ui import status


def test_a_job_that_ends_while_the_progress_is_drawn_ends_the_wait(tiny_config, monkeypatch):
    # The backend ends a job from its own thread at any moment. Here it ends exactly between the loop's check
    # and its choice of the job to draw, which once raised StopIteration on the page (seen in the browser stress
    # test once trainings got fast).
    job = Job(Task(tiny_config), 1)
    cancelled: list[Job] = []
    subscription = Subscription(JobRegistry(0.1, cancel=cancelled.append), job)

    def progress_while_the_job_ends(service, jobs, cached=0):
        job.ended(None, None)
        return 0.5, "Training…"

    monkeypatch.setattr(status, "_progress_text", progress_while_the_job_ends)
    assert status._follow(None, [subscription], st.empty(), st.empty()) is True
    assert job.finished and cancelled == []
