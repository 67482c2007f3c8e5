"""The GPU serving path of POST /api/models/{name}/predict, run on the CPU as a stand-in: JPEG uploads stay
encoded until the batcher decodes them with torchvision's decoder, batches form across requests, and the
answers, statuses and messages are those of the plain path. Also the small-work path of /api/conv2d."""

import io
import threading

import pytest
import torch
from fastapi.testclient import TestClient
from PIL import Image

from app.compute import samples
from app.main import create_app
from app.settings import Settings
from app.web.api import models as models_api
from app.web.service import SMALL_WORK, ModelService, one_torch_thread

MODEL = "efficientnet_lite0"  # its ImageNet weights come with its package: real answers, no fetch


def jpeg(image: Image.Image, orientation: int | None = None) -> bytes:
    buffer = io.BytesIO()
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    image.save(buffer, "JPEG", quality=92, exif=exif.tobytes() if orientation else b"")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def device_client(tmp_path_factory):
    app = create_app(Settings(device="cpu", weights_dir=tmp_path_factory.mktemp("weights")))
    patch = pytest.MonkeyPatch()
    patch.setattr(models_api, "batches_on_device", lambda service: True)  # what device="cuda" switches on
    with TestClient(app) as client:
        yield client
    patch.undo()


def predict(client, data: bytes, filename="cat.jpg", kind="image/jpeg"):
    return client.post(f"/api/models/{MODEL}/predict?lang=ru", files={"image": (filename, data, kind)})


def test_uploads_are_decoded_by_the_batcher_and_answer_as_the_plain_path(device_client):
    chelsea = samples.load_sample("chelsea", 800)
    sideways = jpeg(chelsea.transpose(Image.Transpose.ROTATE_90), orientation=6)  # a phone photo held upright
    answer = predict(device_client, sideways)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["model"] == MODEL and body["task"] == "classification"
    assert body["image_size"] == [chelsea.width, chelsea.height]
    assert any("cat" in t["label"] for t in body["top5"][:3])
    batcher = device_client.app.state.batchers[MODEL]
    assert batcher.items >= 1  # it went through the batcher, not the per-request path
    png = io.BytesIO()
    samples.load_sample("coffee", 800).save(png, "PNG")  # not a JPEG: decoded on the CPU, then batched
    coffee = predict(device_client, png.getvalue(), "coffee.png", "image/png")
    assert coffee.status_code == 200 and coffee.json()["top5"][0]["label"] == "espresso"
    sample = device_client.post(f"/api/models/{MODEL}/predict", json={"sample": "coffee"})
    assert sample.status_code == 200 and sample.json()["top5"][0]["label"] == "espresso"


def test_concurrent_uploads_share_batches(device_client):
    photos = [jpeg(samples.load_sample(name, 800)) for name in ("chelsea", "coffee")] * 4
    batcher = device_client.app.state.batchers.get(MODEL)
    before = (batcher.batches, batcher.items) if batcher else (0, 0)
    results = [None] * len(photos)
    start = threading.Barrier(len(photos))

    def send(i):
        start.wait()
        results[i] = predict(device_client, photos[i])

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(photos))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert all(r is not None and r.status_code == 200 for r in results)
    for i, r in enumerate(results):
        top = [t["label"] for t in r.json()["top5"]]
        assert top[0] == "espresso" if i % 2 else any("cat" in label for label in top[:3])
    batcher = device_client.app.state.batchers[MODEL]
    batches, items = batcher.batches - before[0], batcher.items - before[1]
    assert items == len(photos)
    assert batches < items  # while one batch runs, the others queue and go together


def test_a_damaged_jpeg_gets_the_usual_400_and_spoils_no_one_elses_answer(device_client):
    good = jpeg(samples.load_sample("coffee", 400))
    damaged = good[:600] + b"\x00" * 64  # the header is fine, the picture is not
    answers = [None, None]

    def send(i, data):
        answers[i] = predict(device_client, data)

    threads = [threading.Thread(target=send, args=(0, damaged)), threading.Thread(target=send, args=(1, good))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert answers[0].status_code == 400
    assert "повреждён" in answers[0].json()["detail"]
    assert answers[1].status_code == 200 and answers[1].json()["top5"][0]["label"] == "espresso"
    too_many = predict(device_client, b"\xff\xd8\xff" + b"\x00" * 10)
    assert too_many.status_code == 400  # the header check refuses it before any decoding


def test_small_convolutions_run_inline_with_one_torch_thread(monkeypatch):
    service = ModelService("cpu", max_waiting=1)
    seen = []
    assert service.run_small(lambda device: seen.append((device, torch.get_num_threads())) or 7) == 7
    assert seen == [("cpu", 1)] and service.stats["inline"] == 1
    with one_torch_thread():
        assert torch.get_num_threads() == 1
    assert SMALL_WORK >= 16 * 16 * 3 * 3  # a lesson-sized grid counts as small


def test_conv2d_uses_the_queue_only_for_big_work(client):
    service = client.app.state.models
    inline, computed = service.stats["inline"], service.stats["computed"]
    small = client.post("/api/conv2d", json={"input": [[1, 2, 3], [4, 5, 6], [7, 8, 9]], "kernel": [[1, 0], [0, -1]]})
    assert small.status_code == 200 and small.json() == {"output": [[-4, -4], [-4, -4]], "shape": [2, 2]}
    assert service.stats["inline"] == inline + 1 and service.stats["computed"] == computed
    big = client.post("/api/conv2d", json={"input": [[[0.5] * 128] * 128] * 8, "kernel": [[[[1.0] * 5] * 5] * 8] * 4})
    assert big.status_code == 200 and big.json()["shape"] == [4, 124, 124]
    assert big.json()["output"][0][0][0] == pytest.approx(8 * 25 * 0.5)
    assert service.stats["computed"] == computed + 1  # 4·8·5·5·124·124 multiply-adds: through the queue
