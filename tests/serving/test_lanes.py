"""Which work waits where (issue 13: hostile requests must not delay a normal one).

Three lanes: small work (a lesson-sized convolution or pooling, LeNet-5) runs in the request's own thread; big
work waits in the model queue; large bodies (photos, JSON over INLINE_JSON_BYTES) are decoded in the upload
queue. Each test fills a queue with jobs that wait on an event, as a crowd of hostile requests would, and checks
what is still answered at once and what gets 503 + Retry-After.
"""

import io
import json
import threading
import time
from contextlib import contextmanager

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from fastapi.testclient import TestClient
from PIL import Image

from app.compute.nets import architectures, lenet
from app.main import create_app
from app.settings import Settings
from app.web.api.uploads import INLINE_JSON_BYTES
from app.web.service import SMALL_WORK, Busy, ModelService

QUEUE = 2


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(Settings(device="cpu", queue_size=QUEUE))) as test_client:
        yield test_client


@contextmanager
def full(service: ModelService):
    """`service`'s queue full of jobs that run until the block ends (one running, the rest waiting)."""
    release, refused = threading.Event(), []

    def occupy():
        try:
            service.run(lambda _device: release.wait(60))
        except Busy:
            refused.append(True)

    threads = [threading.Thread(target=occupy) for _ in range(service.max_waiting)]
    for thread in threads:
        thread.start()
    for _ in range(500):
        if service.status()["waiting"] == service.max_waiting:
            break
        time.sleep(0.01)
    assert service.status()["waiting"] == service.max_waiting and not refused
    try:
        yield
    finally:
        release.set()
        for thread in threads:
            thread.join(60)


def compact(body) -> bytes:
    """The body as the test client sends it (no spaces)."""
    return json.dumps(body, separators=(",", ":")).encode()


def digit() -> list[list[float]]:
    pixels = np.zeros((28, 28))
    pixels[5:23, 12:16] = 1.0  # a "1"
    return pixels.tolist()


def test_lenet5_costs_less_than_small_work():
    assert architectures.architecture_table("lenet5")["totals"]["macs"] <= SMALL_WORK


def test_small_requests_are_answered_while_the_model_queue_is_full_of_big_convolutions(client):
    service = client.app.state.models
    big = {"input": [[[0.5] * 64] * 64] * 8, "kernel": [[[[1.0] * 5] * 5] * 8] * 8}  # 8·8·25·60·60 = 5.8 M
    with full(service):
        refused = client.post("/api/conv2d", json=big)
        assert refused.status_code == 503 and int(refused.headers["retry-after"]) >= 1
        assert "busy" in refused.json()["detail"].lower()

        drawn = client.post("/api/models/lenet5/predict", json={"pixels": digit()})
        assert drawn.status_code == 200, drawn.text
        expected = lenet.predict(digit())  # the network itself, called directly
        assert drawn.json()["prediction"] == expected["prediction"]
        assert drawn.json()["probabilities"] == pytest.approx(expected["probabilities"], abs=1e-6)

        x = np.arange(36.0).reshape(6, 6)
        conv = client.post("/api/conv2d", json={"input": x.tolist(), "kernel": [[1, 0], [0, -1]]})
        assert conv.status_code == 200
        reference = F.conv2d(torch.tensor(x)[None, None], torch.tensor([[1.0, 0], [0, -1]], dtype=torch.float64)[None, None])
        assert conv.json()["output"] == reference[0, 0].tolist()

        pool = client.post("/api/pool2d", json={"input": x.tolist(), "mode": "max", "size": 2})
        assert pool.status_code == 200
        assert pool.json()["output"] == F.max_pool2d(torch.tensor(x)[None], 2)[0].tolist()
    answered = client.post("/api/conv2d", json=big)  # the queue has room again
    assert answered.status_code == 200 and answered.json()["shape"] == [8, 60, 60]


def test_a_big_pooling_still_takes_the_model_queue(client):
    service = client.app.state.models
    computed, inline = service.stats["computed"], service.stats["inline"]
    body = {"input": [[[1.0] * 128] * 128] * 8, "mode": "avg", "size": 8, "stride": 1}  # 8·121²·64 = 7.5 M cells
    response = client.post("/api/pool2d", json=body)
    assert response.status_code == 200 and response.json()["shape"] == [8, 121, 121]
    assert service.stats["computed"] == computed + 1 and service.stats["inline"] == inline
    small = client.post("/api/pool2d", json={"input": [[1, 2], [3, 4]], "size": 2})
    assert small.json()["output"] == [[4]] and service.stats["inline"] == inline + 1


def test_large_json_bodies_are_parsed_in_the_upload_queue_small_ones_at_once(client):
    decoder = client.app.state.decoder
    large = {"input": [[0.25] * 128] * 128, "kernel": [[1, 1], [1, 1]]}  # small work, large body
    assert len(compact(large)) > INLINE_JSON_BYTES
    small = {"input": [[1, 2], [3, 4]], "kernel": [[1]]}
    with full(decoder):
        refused = client.post("/api/conv2d", json=large)
        assert refused.status_code == 503 and int(refused.headers["retry-after"]) >= 1
        assert client.post("/api/conv2d", json=small).json()["output"] == [[1, 2], [3, 4]]
        assert client.post("/api/models/lenet5/predict", json={"pixels": digit()}).status_code == 200
        boxes = {"boxes": [[0, 0, 10, 10]] * 8000, "scores": [0.5] * 8000, "iou_threshold": 0.5}
        assert len(compact(boxes)) > INLINE_JSON_BYTES
        # every JSON route reads a large body through the queue, before any of its own limits is checked
        assert client.post("/api/nms", json=boxes).status_code == 503
    before = decoder.status()["computed"]
    answered = client.post("/api/conv2d", json=large)
    assert answered.status_code == 200 and answered.json()["output"][0][0] == 1.0
    assert decoder.status()["computed"] == before + 1
    client.post("/api/conv2d", json=small)
    assert decoder.status()["computed"] == before + 1


def test_broken_and_deep_large_bodies_get_the_same_answers_through_the_queue(client):
    padding = " " * INLINE_JSON_BYTES
    broken = client.post("/api/conv2d", content='{"input": [[1]' + padding, headers={"content-type": "application/json"})
    assert broken.status_code == 422 and "not valid JSON" in broken.json()["detail"]
    deep = "[" * 100_000 + "]" * 100_000
    for path, status in (("/api/conv2d", 400), ("/api/models/lenet5/predict", 400)):
        response = client.post(path, content=deep, headers={"content-type": "application/json"})
        assert response.status_code == status, (path, response.text)


def test_a_digit_photo_is_decoded_and_preprocessed_in_the_upload_queue_and_classified_at_once(client):
    models, decoder = client.app.state.models, client.app.state.decoder
    computed, inline, decoded = models.stats["computed"], models.stats["inline"], decoder.status()["computed"]
    image = Image.new("L", (1600, 1200), 255)
    image.paste(0, (760, 250, 840, 950))  # a thick dark "1" on white paper
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    with full(models):
        response = client.post("/api/models/lenet5/predict", files={"image": ("d.png", buffer.getvalue(), "image/png")})
    assert response.status_code == 200, response.text
    steps = lenet.preprocess_digit(image.resize((1024, 768), Image.Resampling.BOX))
    assert response.json()["prediction"] == lenet.predict(steps["padded"])["prediction"]
    assert decoder.status()["computed"] == decoded + 1
    assert models.stats["computed"] == computed + models.max_waiting  # only the jobs that filled it
    assert models.stats["inline"] == inline + 1


def test_the_contract_says_every_json_route_may_answer_503_with_retry_after(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/api/conv2d", "/api/pool2d", "/api/nms", "/api/metrics/mabo", "/api/conv-transpose2d",
                 "/api/metrics/iou", "/api/models/lenet5/predict"):
        assert "Retry-After" in paths[path]["post"]["responses"]["503"]["headers"], path
