"""What a hostile student found: each of these was a 500, a leak or unbounded work on main; now a clear 4xx."""

import io
import struct
import zlib

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image

from app.compute.nets import registry
from app.main import create_app
from app.settings import Settings
from app.web.security import CSP

LESSON = "/en/lessons/why-cnn"
EXERCISE = f"{LESSON}/exercises/top5-check"


@pytest.fixture(scope="module")
def weights_dir(tmp_path_factory):
    import torch
    import torchvision

    folder = tmp_path_factory.mktemp("weights")
    torch.manual_seed(0)
    torch.save(torchvision.models.resnet18(weights=None).state_dict(),
               registry.weights_path(registry.MODELS["resnet18"], folder))
    return folder


@pytest.fixture(scope="module")
def hostile_app(weights_dir) -> FastAPI:
    app = create_app(Settings(device="cpu", weights_dir=weights_dir))

    @app.get("/api/test-crash", include_in_schema=False)
    def crash():
        raise RuntimeError("a bug")

    return app


@pytest.fixture(scope="module")
def hostile(hostile_app):
    with TestClient(hostile_app, raise_server_exceptions=False) as client:
        yield client
    registry.clear_loaded()


@pytest.mark.parametrize("seed", ["²", "①", "٣", "1" * 40])
def test_unicode_digit_seeds_are_not_500s(hostile, seed):
    for path in (LESSON, f"{LESSON}/present", EXERCISE):
        response = hostile.get(path, params={"top5-check.seed": seed, "seed": seed})
        assert response.status_code == 200, (path, response.status_code)
    response = hostile.post(f"{EXERCISE}/check", data={"seed": seed[:12], "answer": "1"})
    assert response.status_code == 422
    assert "seed must be a whole number" in response.text


def test_unknown_lang_parameter_gets_the_html_404(hostile):
    response = hostile.get("/no/such/page?lang=xx", headers={"accept": "text/html"})
    assert response.status_code == 404 and response.headers["content-type"].startswith("text/html")
    assert "There is no such page" in response.text
    response = hostile.get("/no/such/page?lang=xx", headers={"accept": "text/html", "accept-language": "ru"})
    assert "Такой страницы нет" in response.text


@pytest.mark.parametrize("path", ["/api/models/resnet18/predict", "/api/features/resnet18",
                                  "/api/models/lenet5/predict"])
def test_json_nested_100000_deep_is_a_400_with_a_message(hostile, path):
    body = "[" * 100_000 + "]" * 100_000
    response = hostile.post(path, content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400, response.text
    assert response.json() == {"detail": "The request body is not valid JSON."}
    response = hostile.post(path, content=body, headers={"content-type": "application/json", "accept-language": "ru"})
    assert response.json() == {"detail": "Тело запроса — не корректный JSON."}


def test_a_500_carries_the_security_headers_and_the_error_shape(hostile):
    response = hostile.get("/api/test-crash")
    assert response.status_code == 500
    assert response.headers["content-security-policy"] == CSP
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.json() == {"detail": "Something went wrong on the server. It has been logged; please try again."}


def test_redirects_are_relative_whatever_the_host_header(hostile):
    response = hostile.get("/en", headers={"host": "evil.example"}, follow_redirects=False)
    assert response.status_code in (307, 308)
    assert response.headers["location"] == "/en/"


def test_docs_are_served_from_the_app_without_inline_scripts(hostile):
    page = hostile.get("/docs")
    assert page.status_code == 200
    assert "http://" not in page.text and "https://" not in page.text and "//cdn" not in page.text
    scripts = [part.split(">")[0] for part in page.text.split("<script")[1:]]
    assert scripts and all('src="/' in attributes for attributes in scripts)  # every script is a file of the app
    for attributes in scripts:
        src = attributes.split('src="')[1].split('"')[0]
        assert hostile.get(src).status_code == 200
    assert hostile.get("/vendor/swagger-ui/swagger-ui.css").status_code == 200
    assert hostile.get("/redoc").status_code == 404


def test_healthz_names_weights_files_without_their_path(hostile, weights_dir):
    assert hostile.post("/api/models/resnet18/predict", json={"sample": "chelsea"}).status_code == 200
    models = hostile.get("/healthz").json()["models"]
    row = next(m for m in models if m["name"] == "resnet18")
    assert row["file"] == registry.weights_path(registry.MODELS["resnet18"], weights_dir).name
    assert "/" not in row["file"] and str(weights_dir) not in hostile.get("/healthz").text
    assert len(row["sha256"]) == 64


def test_error_messages_cut_a_huge_echoed_value(hostile):
    response = hostile.post("/api/pool2d", json={"input": [[1, 2], [3, 4]], "mode": "m" * 9_000_000})
    assert response.status_code == 422
    assert len(response.content) < 300 and "mmmm" in response.json()["detail"]


def test_the_conv_that_took_677_mib_is_refused_by_its_working_memory(hostile):
    body = {"input": [[[1.0] * 8] * 8] * 64, "kernel": [[[[1.0] * 31] * 31] * 64], "padding": 30}
    response = hostile.post("/api/conv2d", json=body)
    assert response.status_code == 413
    assert "MiB of working memory" in response.json()["detail"]


def huge_png(width: int, height: int, bit_depth: int = 16) -> bytes:
    """A small PNG whose IHDR says width×height grey pixels at bit_depth, with a few compressed zero rows."""
    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    row = b"\x00" * (1 + width * bit_depth // 8)
    idat = zlib.compress(row * 4, 9)
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.mark.parametrize("path", ["/api/models/lenet5/predict", "/api/models/resnet18/predict",
                                  "/api/features/resnet18"])
def test_huge_dimension_images_are_refused_from_their_header(hostile, path):
    for data in (huge_png(6324, 6324), _webp(5000, 5000)):
        response = hostile.post(path, files={"image": ("x.png", data, "image/png")})
        assert response.status_code == 413, response.text
        assert "pixels" in response.json()["detail"]


def _webp(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height)).save(buffer, "WEBP", lossless=True)
    return buffer.getvalue()


def test_uploads_are_decoded_in_the_decoding_queue(hostile):
    before = hostile.get("/healthz").json()["decoder"]["computed"]
    buffer = io.BytesIO()
    image = Image.new("RGB", (1200, 900), (255, 255, 255))
    image.paste((0, 0, 0), (560, 200, 640, 700))  # a thick "1"
    image.save(buffer, "PNG")
    response = hostile.post("/api/models/lenet5/predict", files={"image": ("d.png", buffer.getvalue(), "image/png")})
    assert response.status_code == 200
    assert hostile.get("/healthz").json()["decoder"]["computed"] == before + 1
