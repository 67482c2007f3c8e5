"""Box labels never overlap when there is room (issue 14, item 7)."""

import itertools

from app.compute.ops.label_layout import _overlap, place_labels


def _rects(corners, sizes):
    return [[x, y, x + w, y + h] for (x, y), (w, h) in zip(corners, sizes)]


def test_boxes_with_the_same_corner_get_separate_labels():
    boxes = [[100, 100, 300, 300], [102, 101, 250, 280], [98, 99, 320, 310], [101, 100, 200, 200]]
    sizes = [(60, 20)] * 4
    corners = place_labels(boxes, sizes, (640, 480))
    rects = _rects(corners, sizes)
    assert all(_overlap(a, b) == 0 for a, b in itertools.combinations(rects, 2))
    assert all(0 <= r[0] and r[2] <= 640 and 0 <= r[1] and r[3] <= 480 for r in rects)
    assert corners[0] == (100, 100)  # the first label keeps the usual spot: inside the top-left corner


def test_labels_avoid_fixed_rectangles_and_stay_near_their_box():
    corners = place_labels([[10, 10, 200, 200]], [(50, 20)], (300, 300), fixed=[[10, 10, 60, 30]])
    x, y = corners[0]
    assert _overlap([x, y, x + 50, y + 20], [10, 10, 60, 30]) == 0
    assert 0 <= x <= 200 and 0 <= y <= 200


def test_a_label_at_the_image_edge_stays_inside():
    (x, y), = place_labels([[0, 0, 30, 30]], [(60, 20)], (100, 100))
    assert x >= 0 and y >= 0 and x + 60 <= 100

