"""EfficientNet-Lite0 on a plain install (no torchvision weights): predictions through the API on samples,
uploaded JPEGs and an EXIF-rotated one, its presence on /healthz and in `stride weights list`."""

import hashlib
import io

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from app import cli
from app.compute import samples
from app.compute.nets import registry
from app.compute.nets import efficientnet
from app.main import create_app
from app.settings import Settings, get_settings

CATS = {"tabby", "tiger cat", "Egyptian cat", "Persian cat", "Siamese cat"}
URL = "/api/models/efficientnet_lite0/predict"
ORIENTATION = 0x0112  # the EXIF tag


@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    """A server whose weights folder is empty, as after `make install` with no fetch."""
    with TestClient(create_app(Settings(device="cpu", weights_dir=tmp_path_factory.mktemp("empty")))) as client:
        yield client
    registry.clear_loaded()


def jpeg(image: Image.Image, orientation: int | None = None) -> bytes:
    buffer = io.BytesIO()
    exif = Image.Exif()
    if orientation is not None:
        exif[ORIENTATION] = orientation
    image.save(buffer, "JPEG", quality=90, exif=exif.tobytes())
    return buffer.getvalue()


def labels(body: dict, k: int) -> list[str]:
    return [item["label"] for item in body["top5"][:k]]


def test_coffee_sample_is_an_espresso(plain):
    response = plain.post(URL, json={"sample": "coffee"})
    assert response.status_code == 200, response.text[:300]
    body = response.json()
    assert body["model"] == "efficientnet_lite0" and body["task"] == "classification"
    assert labels(body, 1) == ["espresso"]
    probabilities = [item["probability"] for item in body["top5"]]
    assert probabilities == sorted(probabilities, reverse=True) and 0.5 < probabilities[0] <= 1


def test_chelsea_sample_and_upload_are_cats(plain):
    sample = plain.post(URL, json={"sample": "chelsea"}).json()
    assert CATS & set(labels(sample, 3))
    upload = plain.post(URL, files={"image": ("chelsea.jpg", jpeg(samples.load_sample("chelsea")), "image/jpeg")})
    assert upload.status_code == 200, upload.text[:300]
    assert CATS & set(labels(upload.json(), 3))


def test_an_exif_rotated_jpeg_is_turned_upright_first(plain):
    upright = samples.load_sample("chelsea")  # 451 × 300, landscape
    stored = upright.transpose(Image.Transpose.ROTATE_90)  # the sensor's pixels: portrait, the cat on its side
    data = jpeg(stored, orientation=6)  # 6: "turn 90° clockwise to display", which undoes ROTATE_90
    assert Image.open(io.BytesIO(data)).getexif()[ORIENTATION] == 6
    body = plain.post(URL, files={"image": ("phone.jpg", data, "image/jpeg")}).json()
    assert body["image_size"] == list(upright.size)  # classified the way a viewer shows it
    assert CATS & set(labels(body, 3))


def test_healthz_shows_it_present_and_the_others_with_their_command(plain):
    weights = {row["name"]: row for row in plain.get("/healthz").json()["weights"]}
    path = efficientnet.weights_file()
    row = weights["efficientnet_lite0"]
    assert row["weights"] == "present" and row["command"] is None
    assert row["file"] == path.name == "efficientnet-lite0-57934424.pth"
    assert row["size_bytes"] == path.stat().st_size
    assert row["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert weights["resnet18"]["weights"] == "missing"
    assert weights["resnet18"]["command"] == "stride weights fetch resnet18"
    assert weights["lenet5"]["weights"] == "present"


def test_models_list_marks_it_present_with_nothing_to_fetch(plain):
    row = next(r for r in plain.get("/api/models").json() if r["name"] == "efficientnet_lite0")
    assert row["weights"] == "present" and row["fetch"] is None and row["labels"] == 1000
    assert row["input"]["crop"] == [224] and row["input"]["resize"] == [256]


def test_stride_weights_list_shows_it_present(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("STRIDE_WEIGHTS_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        assert cli.main(["weights", "list"]) == 0
    finally:
        get_settings.cache_clear()
    line = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("efficientnet_lite0 "))
    path = efficientnet.weights_file()
    assert f"{path.stat().st_size / 1e6:.1f} MB" in line
    assert hashlib.sha256(path.read_bytes()).hexdigest()[:16] in line and "missing" not in line
