"""POST /api/models/lenet5/predict: uploads and JSON pixels, and a 4xx with a reason for everything else."""

import io
import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from app.compute.nets import digits, lenet

URL = "/api/models/lenet5/predict"


def encoded(array: np.ndarray, fmt: str = "PNG", mode: str | None = None) -> bytes:
    image = Image.fromarray(array)
    if mode:
        image = image.convert(mode)
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def check_schema(body: dict) -> None:
    assert set(body) == {"prediction", "probabilities", "layers"}
    assert 0 <= body["prediction"] <= 9 and len(body["probabilities"]) == 10
    assert sum(body["probabilities"]) == pytest.approx(1.0, abs=1e-5)
    assert [layer["name"] for layer in body["layers"]] == ["input", *lenet.layer_names()]
    assert body["layers"][0]["shape"] == [1, 32, 32] and body["layers"][-1]["shape"] == [10]


@pytest.mark.parametrize("fmt, mode", [("PNG", None), ("JPEG", None), ("WEBP", None), ("GIF", None), ("BMP", None),
                                       ("PNG", "RGBA"), ("PNG", "RGB")])
def test_upload_any_common_format(client, fmt, mode):
    image = digits.sample_digit(5, side=120)
    response = client.post(URL, files={"image": (f"digit.{fmt.lower()}", encoded(image, fmt, mode))})
    assert response.status_code == 200, response.text
    body = response.json()
    check_schema(body)
    assert body["prediction"] == 5


def test_upload_light_on_dark_and_a_photo_sized_image(client):
    light = 255 - digits.sample_digit(2, side=80)
    response = client.post(URL, files={"image": ("light.png", encoded(light))})
    assert response.status_code == 200 and response.json()["prediction"] == 2
    # A big "scan": the digit on a wide sheet is shrunk before preprocessing, and still read.
    sheet = np.full((1600, 1600), 240, np.uint8)
    sheet[500:1100, 500:1100] = np.minimum(240, digits.sample_digit(8, side=600))
    response = client.post(URL, files={"image": ("scan.jpg", encoded(sheet, "JPEG"))})
    assert response.status_code == 200 and response.json()["prediction"] == 8


def test_upload_matches_the_compute_pipeline(client):
    image = digits.sample_digit(6)
    expected = lenet.predict(lenet.preprocess_digit(image)["padded"])
    body = client.post(URL, files={"image": ("six.png", encoded(image))}).json()
    assert body["probabilities"] == pytest.approx(expected["probabilities"], abs=1e-6)


@pytest.mark.parametrize("side", [28, 32])
def test_json_pixels(client, side):
    padded = lenet.preprocess_digit(digits.sample_digit(1))["padded"]
    pixels = padded if side == 32 else padded[2:30, 2:30]
    response = client.post(URL, json={"pixels": pixels.tolist()})
    assert response.status_code == 200
    body = response.json()
    check_schema(body)
    assert body["prediction"] == 1
    assert body["probabilities"] == pytest.approx(lenet.predict(pixels)["probabilities"], abs=1e-6)


@pytest.mark.parametrize("files, status, words", [
    ({"image": ("empty.png", b"")}, 400, "empty"),
    ({"image": ("text.png", b"hello, this is not an image")}, 415, "not an image format"),
    ({"image": ("cut.png", encoded(digits.sample_digit(3))[:60])}, 400, "damaged"),
    ({"image": ("blank.png", encoded(np.full((40, 40), 255, np.uint8)))}, 422, "empty"),
    ({"picture": ("digit.png", encoded(digits.sample_digit(3)))}, 422, "'image'"),
    ({"image": ("wide.png", encoded(np.full((2, 200), 255, np.uint8)))}, 422, "times the other"),
])
def test_bad_uploads(client, files, status, words):
    response = client.post(URL, files=files)
    assert response.status_code == status, response.text
    assert words in response.json()["detail"]


def test_bad_upload_reason_in_russian(client):
    response = client.post(URL, files={"image": ("empty.png", b"")}, headers={"accept-language": "ru"})
    assert response.status_code == 400 and response.json()["detail"] == "Загруженный файл пуст."


def test_oversized_upload(client, app):
    limit = app.state.settings.max_body_bytes
    response = client.post(URL, files={"image": ("big.png", b"\x89PNG\r\n\x1a\n" + b"0" * limit)})
    assert response.status_code == 413 and "send a smaller one" in response.json()["detail"]


def test_too_many_pixels(client, app):
    # A PNG header that claims far more pixels than allowed: refused before decoding.
    big = Image.new("1", (20_000, 20_000))
    buffer = io.BytesIO()
    big.save(buffer, format="PNG")
    response = client.post(URL, files={"image": ("huge.png", buffer.getvalue())})
    assert response.status_code == 413 and "far too large to open" in response.json()["detail"]


@pytest.mark.parametrize("body, status, words", [
    ({"pixels": [[0.0] * 27] * 27}, 422, "28×28 or 32×32"),
    ({"pixels": [[0.0] * 28] * 32}, 422, "28×28 or 32×32"),
    ({"pixels": [[2.0] * 28] * 28}, 422, "between 0 and 1"),
    ({"pixels": [[0.0] * 28] * 27 + [[0.0] * 5]}, 422, "ragged"),
    ({"pixels": [["a"] * 28] * 28}, 422, "expected a number"),
    ({"pixels": [[True] * 28] * 28}, 422, "true/false"),
    ({"pixels": [0.5] * 28}, 422, "dimension"),
    ({"pixels": []}, 422, "empty"),
    ({"pixels": [[0.0] * 500] * 500}, 413, "at most"),
    ({"image": "x"}, 422, "'pixels'"),
    ([1, 2, 3], 422, "'pixels'"),
])
def test_bad_json(client, body, status, words):
    response = client.post(URL, json=body)
    assert response.status_code == status, response.text
    assert words in response.json()["detail"]


@pytest.mark.parametrize("content, content_type, status", [
    (b"{not json", "application/json", 400),
    (b"", "application/json", 400),
    (b"[" * 100_000 + b"]" * 100_000, "application/json", 400),
    (b'{"pixels": NaN}', "application/json", 422),
    (b'{"pixels": [[Infinity]]}', "application/json", 422),
    (b"pixels=1", "application/x-www-form-urlencoded", 415),
    (b"abc", "text/plain", 415),
    (b"abc", "", 415),
    (b"--x\r\nbroken", "multipart/form-data; boundary=x", 422),
    (b"", "multipart/form-data", 400),
])
def test_bad_bodies(client, content, content_type, status):
    headers = {"content-type": content_type} if content_type else {}
    response = client.post(URL, content=content, headers=headers)
    assert response.status_code == status, response.text
    assert response.json()["detail"]


def test_nan_pixels_refused(client):
    pixels = [[0.0] * 28 for _ in range(28)]
    body = json.dumps({"pixels": pixels}).replace("0.0", "NaN", 1)
    response = client.post(URL, content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422 and "finite" in response.json()["detail"]


def test_documented_in_openapi(client):
    spec = client.get("/openapi.json").json()
    operation = spec["paths"][URL]["post"]
    assert set(operation["requestBody"]["content"]) == {"multipart/form-data", "application/json"}


json_values = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=False, allow_infinity=False) | st.integers() | st.text(max_size=5),
    lambda children: st.lists(children, max_size=6) | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=40,
)
pixel_grids = st.integers(26, 33).flatmap(lambda n: st.lists(
    st.lists(st.floats(-0.5, 1.5, allow_nan=False) | st.integers(-1, 2), min_size=n - 1, max_size=n + 1),
    min_size=n - 1, max_size=n + 1))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(json_values, st.dictionaries(st.just("pixels"), json_values | pixel_grids)))
def test_fuzz_json_body_never_500(client, body):
    response = client.post(URL, json=body)
    assert response.status_code in (200, 400, 413, 415, 422), (response.status_code, response.text[:300])
    if response.status_code == 200:
        check_schema(response.json())
    else:
        assert isinstance(response.json()["detail"], str) and response.json()["detail"]


def test_healthz_lists_lenet_once_used(client):
    assert client.post(URL, json={"pixels": [[0.0] * 28] * 28}).status_code == 200
    models = client.get("/healthz").json()["models"]
    assert any(m["name"] == "lenet5" and m["device"] == "cpu" for m in models)
