"""IoU and average precision over HTTP: schema, known values, and 4xx for bad boxes."""

import pytest


def test_iou(client):
    body = client.post("/api/metrics/iou", json={"box_a": [0, 0, 2, 2], "box_b": [1, 1, 3, 3]}).json()
    assert body == {"iou": pytest.approx(1 / 7), "intersection": 1.0, "union": 7.0}


@pytest.mark.parametrize(("box", "words"), [
    ([2, 0, 0, 2], "x2 ≥ x1 and y2 ≥ y1"), ([0, 2, 2, 0], "x2 ≥ x1 and y2 ≥ y1"), ([0, 0, 1], "list of four numbers"),
    ("box", "list of four numbers"), ([0, 0, "a", 1], "only numbers"), (None, "list of four numbers"),
])
def test_iou_bad_box(client, box, words):
    response = client.post("/api/metrics/iou", json={"box_a": box, "box_b": [0, 0, 1, 1]})
    assert response.status_code == 422 and "Box A" in response.json()["detail"] and words in response.json()["detail"]


def test_average_precision_voc_matching(client):
    gt = [{"image": "a", "label": "cat", "box": [0, 0, 10, 10]}, {"image": "b", "label": "cat", "box": [0, 0, 10, 10]},
          {"image": "a", "label": "dog", "box": [5, 5, 9, 9]}]
    detections = [
        {"image": "a", "label": "cat", "box": [0, 0, 10, 10], "score": 0.9},   # TP
        {"image": "a", "label": "cat", "box": [0, 0, 10, 10], "score": 0.8},   # FP: box already taken
        {"image": "b", "label": "cat", "box": [0, 0, 10, 10], "score": 0.7},   # TP
        {"image": "a", "label": "bird", "box": [0, 0, 1, 1], "score": 0.6},    # class without ground truth
    ]
    body = client.post("/api/metrics/average-precision", json={"ground_truth": gt, "detections": detections}).json()
    cat = body["per_class"]["cat"]
    assert cat["tp"] == [1, 0, 1] and cat["fp"] == [0, 1, 0]
    assert cat["precision"] == pytest.approx([1, 0.5, 2 / 3]) and cat["recall"] == pytest.approx([0.5, 0.5, 1])
    # All-points with the precision envelope: 0.5·1 + 0.5·(2/3).
    assert cat["ap"] == pytest.approx(0.5 + 1 / 3)
    assert body["per_class"]["dog"]["ap"] == 0
    assert "bird" not in body["per_class"] or body["per_class"]["bird"].get("ap") is None
    assert body["map"] == pytest.approx(((0.5 + 1 / 3) + 0) / 2)


@pytest.mark.parametrize("method", ["voc11", "coco101"])
def test_average_precision_methods(client, method):
    gt = [{"image": "a", "label": "cat", "box": [0, 0, 10, 10]}]
    detections = [{"image": "a", "label": "cat", "box": [0, 0, 10, 10], "score": 0.9}]
    body = client.post("/api/metrics/average-precision",
                       json={"ground_truth": gt, "detections": detections, "method": method}).json()
    assert body["map"] == pytest.approx(1.0)


@pytest.mark.parametrize(("change", "words"), [
    ({"method": "best"}, "Unknown AP method 'best'"), ({"iou_threshold": 0}, "IoU threshold must be a number in (0, 1]"),
    ({"iou_threshold": 1.5}, "IoU threshold must be a number in (0, 1]"), ({"ground_truth": "x"}, "Ground truth must be a list"),
    ({"detections": [{"image": "a"}]}, "Detections, item 0: needs the fields image, label, box, score"),
])
def test_average_precision_bad_requests(client, change, words):
    body = {"ground_truth": [{"image": "a", "label": "cat", "box": [0, 0, 1, 1]}], "detections": [], **change}
    response = client.post("/api/metrics/average-precision", json=body)
    assert response.status_code == 422 and words in response.json()["detail"]
