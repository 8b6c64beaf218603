"""Uploading a CSV through the real file input, and refusing hostile files."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest

from forecast.data import datasets
from forecast.report.plots import TRACE_NAMES
from tests.e2e.helpers import (
    IDLE,
    TINY_QUERY,
    choose,
    metrics_text,
    no_exception,
    query,
    traces,
    wait_for_result,
)

SERIES = "month,sales\n" + "".join(
    f"20{10 + index // 12:02d}-{index % 12 + 1:02d},{100 + 10 * np.sin(index / 2):.3f}\n" for index in range(72)
)


def upload(page, tmp_path, name: str, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    dropzone = page.locator('[data-testid="stFileUploaderDropzoneInput"]')
    if not dropzone.count():
        # The sidebar shows the chosen source's inputs only: choose the upload source to get the file input.
        page.locator(".st-key-source").get_by_text("Upload a CSV").click()
        dropzone.wait_for(state="attached", timeout=30_000)
    dropzone.set_input_files(str(path))


def test_uploading_a_csv_trains_on_it(server, page, tmp_path):
    page.goto(server.url + query(TINY_QUERY))
    wait_for_result(page)
    upload(page, tmp_path, "sales.csv", SERIES.encode())
    page.wait_for_function("() => new URLSearchParams(location.search).get('source') === 'upload'", timeout=60_000)
    wait_for_result(page)
    params = parse_qs(urlparse(page.url).query)
    assert params["upload"] == [datasets.content_hash(SERIES.encode())]
    assert params["value_column"] == ["sales"] and params["x_column"] == ["month"]
    drawn = traces(page)
    assert len(drawn[TRACE_NAMES["actual"]]["y"]) == 72
    np.testing.assert_allclose(drawn[TRACE_NAMES["actual"]]["y"][:3], [100.0, 104.794, 108.415], atol=1e-3)
    assert "Uploaded series" in page.locator('[data-testid="stPlotlyChart"]').first.inner_text()
    assert no_exception(page)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("image.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary data"),
        ("book.csv", b"PK\x03\x04" + bytes(64), "Excel workbook"),
        ("words.csv", b"name,colour\n" + b"alice,red\n" * 30, "no column of numbers"),
        ("short.csv", b"t,value\n1,2\n2,3\n", "at least 20"),
        ("holes.csv", b"t,value\n" + b"".join(f"{i},{'' if i == 5 else i}\n".encode() for i in range(30)), "empty"),
    ],
)
def test_hostile_uploads_are_refused_and_the_page_keeps_working(server, page, tmp_path, name, content, message):
    page.goto(server.url + query(TINY_QUERY))
    wait_for_result(page)
    before = traces(page)[TRACE_NAMES["one_step"]]["y"]
    upload(page, tmp_path, name, content)
    page.wait_for_selector('[data-testid="stAlertContentError"]', timeout=60_000)
    page.wait_for_selector(IDLE)
    error = page.locator('[data-testid="stAlertContentError"]').first.inner_text()
    assert name in error and message in error
    assert parse_qs(urlparse(page.url).query)["source"] == ["expression"]
    assert traces(page)[TRACE_NAMES["one_step"]]["y"] == before
    assert no_exception(page)


def test_a_file_over_the_upload_limit_is_refused(server, page, tmp_path):
    page.goto(server.url + query(TINY_QUERY))
    wait_for_result(page)
    upload(page, tmp_path, "huge.csv", b"1\n" * (11 * 1024 * 1024))  # 22 MB, over server.maxUploadSize
    page.wait_for_function("() => /must be 20.0MB or smaller|too large/i.test(document.body.innerText)", timeout=60_000)
    assert parse_qs(urlparse(page.url).query)["source"] == ["expression"]
    assert no_exception(page)


def test_choosing_a_fill_mode_after_a_refused_upload_uses_the_same_file(server, page, tmp_path):
    # The file input does not fire again for the file it holds: choosing a fill mode must read the refused file
    # again, so that nobody has to upload it twice.
    values = ["" if index in (5, 6, 40) else f"{100 + 10 * np.sin(index / 2):.3f}" for index in range(72)]
    content = "month,sales\n" + "".join(
        f"20{10 + index // 12:02d}-{index % 12 + 1:02d},{value}\n" for index, value in enumerate(values)
    )
    page.goto(server.url + query(TINY_QUERY))
    wait_for_result(page)
    upload(page, tmp_path, "gaps.csv", content.encode())
    page.wait_for_selector('[data-testid="stAlertContentError"]', timeout=60_000)
    page.wait_for_selector(IDLE)
    error = page.locator('[data-testid="stAlertContentError"]').first.inner_text()
    assert "gaps.csv" in error and "line 7, 8, 42" in error and "fill mode" in error
    assert parse_qs(urlparse(page.url).query)["source"] == ["expression"]
    choose(page, "fill", "interpolate")
    page.wait_for_function("() => new URLSearchParams(location.search).get('source') === 'upload'", timeout=60_000)
    page.get_by_text("3 empty values filled (interpolate) in the file.").wait_for(timeout=60_000)
    wait_for_result(page)
    params = parse_qs(urlparse(page.url).query)
    assert params["upload"] == [datasets.content_hash(content.encode())] and params["fill"] == ["interpolate"]
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0
    drawn = traces(page)
    actual = drawn[TRACE_NAMES["actual"]]["y"]
    assert len(actual) == 72 and all(np.isfinite(actual))
    # The gap at lines 7 and 8 is filled on the straight line between its neighbours.
    np.testing.assert_allclose(actual[5:7], np.interp([5, 6], [4, 7], [actual[4], actual[7]]), atol=1e-6)
    assert len(drawn[TRACE_NAMES["one_step"]]["y"]) > 0 and "LSTM" in metrics_text(page)
    assert no_exception(page)
