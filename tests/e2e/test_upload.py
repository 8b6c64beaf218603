"""Uploading a CSV through the real file input, and refusing hostile files."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest

from forecast import datasets
from forecast.plots import TRACE_NAMES
from tests.e2e.helpers import IDLE, TINY_QUERY, no_exception, query, traces, wait_for_result

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
