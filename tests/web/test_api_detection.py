"""POST /api/nms, /api/metrics/mabo and /api/conv-transpose2d over HTTP: answers against independent
implementations, every 4xx with its translated message, and the statuses documented in OpenAPI."""

import random
import re

import pytest
import torch
import torch.nn.functional as F
import torchvision

from tests.compute.ops.test_detection_ops import plain_iou, plain_nms, random_boxes

CYRILLIC = re.compile("[а-яё]", re.I)


def test_nms_matches_torchvision_and_a_plain_greedy_loop(client):
    rng = random.Random(7)
    boxes = random_boxes(rng, 40)
    scores = [s / 1000 for s in rng.sample(range(1000), 40)]
    body = client.post("/api/nms", json={"boxes": boxes, "scores": scores, "iou_threshold": 0.4}).json()
    keep, by = plain_nms(boxes, scores, 0.4)
    assert body["keep"] == keep == torchvision.ops.nms(torch.tensor(boxes, dtype=torch.float64),
                                                       torch.tensor(scores, dtype=torch.float64), 0.4).tolist()
    assert {d["box"]: d["by"] for d in body["suppressed"]} == by


def test_nms_keeps_a_box_at_exactly_the_threshold(client):
    # IoU of these two is exactly 0.5: dropped only when IoU > t.
    boxes = [[0, 0, 2, 1], [0, 0, 1, 1]]
    body = client.post("/api/nms", json={"boxes": boxes, "scores": [0.9, 0.8], "iou_threshold": 0.5}).json()
    assert plain_iou(*boxes) == 0.5 and body["keep"] == [0, 1]
    assert client.post("/api/nms", json={"boxes": boxes, "scores": [0.9, 0.8], "iou_threshold": 0.49}).json()["keep"] == [0]


def test_mabo(client):
    truth, proposals = [[0, 0, 10, 10], [50, 50, 60, 60]], [[0, 0, 10, 5], [55, 55, 65, 65], [0, 0, 10, 10]]
    body = client.post("/api/metrics/mabo", json={"ground_truth": truth, "proposals": proposals}).json()
    iou_b = client.post("/api/metrics/iou", json={"box_a": truth[1], "box_b": proposals[1]}).json()["iou"]
    assert body["best_iou"] == [1.0, pytest.approx(iou_b)] and body["best_proposal"] == [2, 1]
    assert body["mabo"] == pytest.approx((1 + iou_b) / 2)


def test_conv_transpose2d_matches_torch(client):
    x, k = [[1.0, -2.0, 0.5], [3.0, 4.0, -1.0]], [[1.0, 2.0], [0.5, -1.0], [2.0, 0.0]]
    body = client.post("/api/conv-transpose2d", json={"input": x, "kernel": k, "stride": 2, "padding": 1,
                                                      "output_padding": 1}).json()
    expected = F.conv_transpose2d(torch.tensor(x, dtype=torch.float64)[None, None],
                                  torch.tensor(k, dtype=torch.float64)[None, None], stride=2, padding=1,
                                  output_padding=1)[0, 0]
    assert body["output"] == expected.tolist() and body["output_shape"] == list(expected.shape)


@pytest.mark.parametrize(("url", "body", "status", "words"), [
    ("/api/nms", {"boxes": [[0, 0, 1, 1]], "scores": [1], "iou_threshold": 2}, 422, "iou_threshold"),
    ("/api/nms", {"boxes": [[0, 0, 1, 1]], "scores": [1, 2], "iou_threshold": 0.5}, 422, "scores"),
    ("/api/nms", {"boxes": [[3, 0, 1, 1]], "scores": [1], "iou_threshold": 0.5}, 422, "x2"),
    ("/api/nms", {"boxes": [[0, 0, 1, 1]] * 1001, "scores": [1] * 1001, "iou_threshold": 0.5}, 413, "1000"),
    ("/api/metrics/mabo", {"ground_truth": [], "proposals": [[0, 0, 1, 1]]}, 422, "ground_truth"),
    ("/api/metrics/mabo", {"ground_truth": [[0, 0, 1, 1]], "proposals": "x"}, 422, "proposals"),
    ("/api/conv-transpose2d", {"input": [[1]], "kernel": [[1]], "stride": 2, "output_padding": 2}, 422,
     "output_padding"),
    ("/api/conv-transpose2d", {"input": [[1]], "kernel": [[1]], "padding": 1}, 422, "padding"),
    ("/api/conv-transpose2d", {"input": [[1, 2], [3]], "kernel": [[1]]}, 422, "input"),
])
@pytest.mark.parametrize("lang", ["en", "ru"])
def test_bad_requests_get_a_translated_reason(client, url, body, status, words, lang):
    response = client.post(url, json=body, headers={"accept-language": lang})
    assert response.status_code == status
    detail = response.json()["detail"]
    assert words in detail and bool(CYRILLIC.search(detail)) is (lang == "ru")


def test_missing_fields_are_422(client):
    for url in ("/api/nms", "/api/metrics/mabo", "/api/conv-transpose2d"):
        assert client.post(url, json={}).status_code == 422


def test_openapi_documents_answers_and_errors(client):
    paths = client.get("/openapi.json").json()["paths"]
    for url in ("/api/nms", "/api/metrics/mabo", "/api/conv-transpose2d"):
        responses = paths[url]["post"]["responses"]
        assert {"200", "413", "422"} <= set(responses)
        assert responses["422"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")
