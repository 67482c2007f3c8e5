"""A body over the limit gets a 413 every client can read: the server reads and drops the rest of the body
(up to 64 MiB, as nginx's lingering close) before answering. urllib, httpx and Chromium's fetch, against a real
`stride serve`, with a 12 MB JSON body and a 40 MB upload."""

import concurrent.futures
import json
import os
import shutil
import urllib.error
import urllib.request
from pathlib import Path

import httpx
import pytest

from tests.serving.servers import start_stride, stop

LIMIT = 10 * 1024 * 1024
BIG_JSON = b'{"input": [' + b"1," * 6_000_000 + b"1]}"  # 12 MB
UPLOAD = os.urandom(40 * 1024 * 1024)  # 40 MB
EXPECTED = {"en": "The request body is over 10 MB (10,485,760 bytes); send a smaller one.",
            "ru": "Тело запроса больше 10 МБ (10\u00a0485\u00a0760 байт); отправьте запрос поменьше."}


@pytest.fixture(scope="module")
def base():
    process, url = start_stride(STRIDE_MAX_BODY_BYTES=LIMIT)
    yield url
    stop(process)


def test_urllib_reads_the_413_for_a_12_mb_json(base):
    request = urllib.request.Request(base + "/api/conv2d", data=BIG_JSON, headers={"content-type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(request, timeout=60)
    assert error.value.code == 413
    assert json.loads(error.value.read()) == {"detail": EXPECTED["en"]}


def test_urllib_reads_the_413_for_a_40_mb_upload_in_russian(base):
    boundary = "b0undary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"big.jpg\"\r\n"
            "Content-Type: image/jpeg\r\n\r\n").encode() + UPLOAD + f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(base + "/api/models/lenet5/predict", data=body, headers={
        "content-type": f"multipart/form-data; boundary={boundary}", "accept-language": "ru"})
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(request, timeout=60)
    assert error.value.code == 413
    assert json.loads(error.value.read()) == {"detail": EXPECTED["ru"]}


def test_httpx_reads_the_413_with_and_without_content_length(base):
    with httpx.Client(timeout=60) as client:
        response = client.post(base + "/api/conv2d", content=BIG_JSON, headers={"content-type": "application/json"})
        assert response.status_code == 413 and response.json() == {"detail": EXPECTED["en"]}
        response = client.post(base + "/api/models/lenet5/predict", files={"image": ("big.jpg", UPLOAD, "image/jpeg")})
        assert response.status_code == 413 and response.json() == {"detail": EXPECTED["en"]}

        def chunks():  # chunked transfer encoding: no Content-Length to refuse early
            for start in range(0, len(BIG_JSON), 1 << 20):
                yield BIG_JSON[start:start + (1 << 20)]

        response = client.post(base + "/api/conv2d", content=chunks(), headers={"content-type": "application/json"})
        assert response.status_code == 413 and response.json() == {"detail": EXPECTED["en"]}
    # The server is still well after the refusals.
    assert httpx.get(base + "/healthz").status_code == 200


CHROMIUM = os.environ.get("STRIDE_CHROMIUM", "/usr/bin/chromium")

FETCH_BOTH = """async ([jsonBytes, uploadBytes]) => {
  const json = '{"input": [' + '1,'.repeat((jsonBytes - 14) / 2) + '1]}';
  const a = await fetch('/api/conv2d', {method: 'POST', body: json, headers: {'content-type': 'application/json'}});
  const form = new FormData();
  form.append('image', new Blob([new Uint8Array(uploadBytes)], {type: 'image/jpeg'}), 'big.jpg');
  const b = await fetch('/api/models/lenet5/predict', {method: 'POST', body: form});
  return [a.status, await a.json(), b.status, await b.json(), json.length];
}"""


@pytest.mark.browser
def test_chromium_fetch_reads_the_413(base):
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        if os.environ.get("CI") == "true":
            pytest.fail(f"Chromium not found at {CHROMIUM}")
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    def fetch_both():
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
            try:
                page = browser.new_page()
                page.goto(base + "/healthz")
                return page.evaluate(FETCH_BOTH, [len(BIG_JSON), len(UPLOAD)])
            finally:
                browser.close()

    # A thread of its own: in a full run the browser tests' session-wide sync Playwright (or an async
    # test) may still hold an event loop in the main thread, and sync Playwright refuses to start there.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        status_a, body_a, status_b, body_b, sent = pool.submit(fetch_both).result(timeout=120)
    assert sent == len(BIG_JSON)
    assert (status_a, body_a) == (413, {"detail": EXPECTED["en"]})
    assert (status_b, body_b) == (413, {"detail": EXPECTED["en"]})
