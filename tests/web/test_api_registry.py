"""The model registry API without the network: weights the test writes itself, and every bad upload."""

import io

import pytest
import torch
import torchvision
from fastapi.testclient import TestClient
from PIL import Image

from app.compute.nets import registry
from app.main import create_app
from app.settings import Settings


@pytest.fixture(scope="module")
def weights_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("weights")
    torch.manual_seed(0)
    model = torchvision.models.resnet18(weights=None)
    torch.save(model.state_dict(), registry.weights_path(registry.MODELS["resnet18"], folder))
    return folder


@pytest.fixture(scope="module")
def models_client(weights_dir):
    app = create_app(Settings(device="cpu", weights_dir=weights_dir, max_body_bytes=2_000_000, max_image_pixels=4_000_000))
    with TestClient(app) as client:
        yield client
    registry.clear_loaded()


def png(size=(64, 48), mode="RGB", fmt="PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, 128).save(buffer, format=fmt)
    return buffer.getvalue()


def test_models_list_reports_present_and_missing(models_client):
    rows = {row["name"]: row for row in models_client.get("/api/models").json()}
    assert rows["resnet18"]["weights"] == "present" and rows["resnet18"]["task"] == "classification"
    assert rows["resnet18"]["labels"] == 1000
    assert rows["vgg16"]["weights"] == "missing"
    assert {row["task"] for row in rows.values()} == set(registry.TASKS)


def test_the_app_finds_and_loads_weights_the_test_wrote(models_client):
    response = models_client.post("/api/models/resnet18/predict", json={"sample": "chelsea"})
    assert response.status_code == 200, response.text
    top5 = response.json()["top5"]
    assert len(top5) == 5 and all(0 <= item["probability"] <= 1 for item in top5)
    health = models_client.get("/healthz").json()
    assert any(m["name"] == "resnet18" for m in health["models"])
    # The sample's result is cached: the second call does not compute.
    models_client.post("/api/models/resnet18/predict", json={"sample": "chelsea"})
    assert health["queue"]["computed"] >= 1
    assert models_client.get("/healthz").json()["queue"]["cached"] >= 1


def test_upload_predicts(models_client):
    response = models_client.post("/api/models/resnet18/predict", files={"image": ("cat.png", png(), "image/png")})
    assert response.status_code == 200, response.text
    assert len(response.json()["top5"]) == 5


def test_missing_weights_name_the_command(models_client):
    response = models_client.post("/api/models/vgg16/predict", json={"sample": "chelsea"},
                                  headers={"accept-language": "ru"})
    assert response.status_code == 503
    assert response.json()["command"] == "stride weights fetch vgg16"
    assert "stride weights fetch vgg16" in response.json()["detail"] and "Веса" in response.json()["detail"]


@pytest.mark.parametrize(
    "files, status, words",
    [
        ({"image": ("empty.png", b"", "image/png")}, 400, "empty"),
        ({"image": ("notes.txt", b"hello, I am not a picture", "text/plain")}, 415, "not an image format"),
        ({"image": ("big.png", png((3000, 2000)), "image/png")}, 413, "pixels are accepted"),
        ({"image": ("thin.png", png((2000, 10)), "image/png")}, 422, "times the other"),
        ({"image": ("cut.png", png()[:60], "image/png")}, 400, "damaged"),
        # The same mistake gets the same answer as LeNet-5's route: one upload reader for every model.
        ({"photo": ("cat.png", png(), "image/png")}, 422, "The form needs a file in the 'image' field."),
    ],
)
def test_bad_uploads_are_clear_4xx(models_client, files, status, words):
    response = models_client.post("/api/models/resnet18/predict", files=files)
    assert response.status_code == status, response.text
    assert words in response.json()["detail"]


def test_oversized_body_is_413(models_client):
    response = models_client.post("/api/models/resnet18/predict",
                                  files={"image": ("huge.bmp", b"BM" + b"\0" * 2_100_000, "image/bmp")})
    assert response.status_code == 413 and "send a smaller one" in response.json()["detail"]


@pytest.mark.parametrize("body, words", [
    ({"sample": "no-such-photo"}, "no-such-photo"),
    ({"sample": 3}, '{"sample": "<name>"}'),
    ({}, '{"sample": "<name>"}'),
    ([], '{"sample": "<name>"}'),
    ({"sample": "chelsea", "score_threshold": 2}, "score_threshold must be a number from 0 to 1"),
])
def test_bad_json_requests(models_client, body, words):
    response = models_client.post("/api/models/resnet18/predict", json=body)
    assert 400 <= response.status_code < 500, response.text
    assert words in response.json()["detail"]


def test_unknown_model_is_404(models_client):
    response = models_client.post("/api/models/nope/predict", json={"sample": "chelsea"})
    assert response.status_code == 404 and "nope" in response.json()["detail"]


def test_other_content_types_are_415(models_client):
    response = models_client.post("/api/models/resnet18/predict", content=b"x", headers={"content-type": "text/plain"})
    assert response.status_code == 415 and "multipart" in response.json()["detail"]
