"""POST /api/pool2d and GET /api/conv-arithmetic: valid requests against plain loops, invalid ones are a 4xx
with a reason, and no input at all produces a 500."""

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
CHECK = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def loop_pool(plane, mode, size, stride, padding):
    """One H×W plane pooled by the definition: max over real cells (the first in reading order wins a tie)
    with its flat index, or the window's sum over size_h·size_w (padding counts as zeros)."""
    (kh, kw), (sh, sw), (ph, pw) = size, stride, padding
    h, w = len(plane), len(plane[0])
    out_h, out_w = (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1
    output = [[0.0] * out_w for _ in range(out_h)]
    argmax = [[-1] * out_w for _ in range(out_h)]
    for i in range(out_h):
        for j in range(out_w):
            best, where, total = -np.inf, -1, 0.0
            for u in range(kh):
                for v in range(kw):
                    r, c = i * sh - ph + u, j * sw - pw + v
                    if 0 <= r < h and 0 <= c < w:
                        total += plane[r][c]
                        if plane[r][c] > best:
                            best, where = plane[r][c], r * w + c
            output[i][j] = best if mode == "max" else total / (kh * kw)
            argmax[i][j] = where
    return output, argmax


def pair(value):
    return tuple(value) if isinstance(value, list) else (value, value)


@st.composite
def pool_bodies(draw):
    size = draw(st.integers(1, 4) | st.lists(st.integers(1, 4), min_size=2, max_size=2))
    kh, kw = pair(size)
    stride = draw(st.none() | st.integers(1, 3) | st.lists(st.integers(1, 3), min_size=2, max_size=2))
    pairs = st.tuples(st.integers(0, kh // 2), st.integers(0, kw // 2)).map(list)
    padding = draw(st.integers(0, min(kh, kw) // 2) | pairs)
    ph, pw = pair(padding)
    h = draw(st.integers(max(1, kh - 2 * ph), 8))
    w = draw(st.integers(max(1, kw - 2 * pw), 8))
    channels = draw(st.sampled_from([None, 1, 2, 3]))
    values = st.integers(-4, 4).map(float) | st.floats(-100, 100, allow_nan=False).map(lambda v: round(v, 3))
    shape = (h, w) if channels is None else (channels, h, w)
    cells = draw(st.lists(values, min_size=int(np.prod(shape)), max_size=int(np.prod(shape))))
    grid = np.array(cells).reshape(shape).tolist()
    return {"input": grid, "mode": draw(st.sampled_from(["max", "avg"])), "size": size, "stride": stride,
            "padding": padding}


@CHECK
@given(pool_bodies())
def test_pool2d_matches_loops(client, body):
    response = client.post("/api/pool2d", json=body)
    assert response.status_code == 200, (body, response.text)
    result = response.json()
    size = pair(body["size"])
    stride = size if body["stride"] is None else pair(body["stride"])
    planes = [body["input"]] if not isinstance(body["input"][0][0], list) else body["input"]
    expected = [loop_pool(p, body["mode"], size, stride, pair(body["padding"])) for p in planes]
    outputs = [e[0] for e in expected]
    argmaxes = [e[1] for e in expected]
    if planes is body["input"]:
        assert result["shape"] == [len(planes), len(outputs[0]), len(outputs[0][0])]
        np.testing.assert_allclose(result["output"], outputs, atol=1e-9)
        got_argmax = result["argmax"]
    else:
        assert result["shape"] == [len(outputs[0]), len(outputs[0][0])]
        np.testing.assert_allclose(result["output"], outputs[0], atol=1e-9)
        got_argmax = None if result["argmax"] is None else [result["argmax"]]
    if body["mode"] == "max":
        assert got_argmax == argmaxes
    else:
        assert result["argmax"] is None


def test_pool2d_lecture_illustration(client):
    grid = [[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]]
    response = client.post("/api/pool2d", json={"input": grid, "mode": "max", "size": 2, "stride": 2})
    expected, argmax = loop_pool(grid, "max", (2, 2), (2, 2), (0, 0))
    assert response.json() == {"output": expected, "shape": [2, 2], "argmax": argmax}
    assert client.post("/api/pool2d", json={"input": grid, "mode": "avg"}).json()["output"] == \
        loop_pool(grid, "avg", (2, 2), (2, 2), (0, 0))[0]


def test_pool2d_overlapping_like_alexnet(client):
    rng = np.random.default_rng(1)
    x = rng.integers(0, 10, size=(2, 13, 13)).astype(float).tolist()
    result = client.post("/api/pool2d", json={"input": x, "size": 3, "stride": 2}).json()
    assert result["shape"] == [2, 6, 6]
    for c in range(2):
        assert result["output"][c] == loop_pool(x[c], "max", (3, 3), (2, 2), (0, 0))[0]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"input": [[1, 2], [3]]}, 422),
        ({"input": [[1, "a"], [3, 4]]}, 422),
        ({"input": [[1, True], [3, 4]]}, 422),
        ({"input": [[1, None], [3, 4]]}, 422),
        ({"input": []}, 422),
        ({"input": 5}, 422),
        ({"input": [1, 2, 3]}, 422),
        ({"input": [[[[1]]]]}, 422),
        ({}, 422),
        ({"input": [[1, 2], [3, 4]], "mode": "min"}, 422),
        ({"input": [[1, 2], [3, 4]], "mode": 3}, 422),
        ({"input": [[1, 2], [3, 4]], "size": 0}, 422),
        ({"input": [[1, 2], [3, 4]], "size": 3}, 422),
        ({"input": [[1, 2], [3, 4]], "size": [2, 2, 2]}, 422),
        ({"input": [[1, 2], [3, 4]], "size": 1.5}, 422),
        ({"input": [[1, 2], [3, 4]], "size": "2"}, 422),
        ({"input": [[1, 2], [3, 4]], "stride": 0}, 422),
        ({"input": [[1, 2], [3, 4]], "stride": -1}, 422),
        ({"input": [[1, 2], [3, 4]], "padding": -1}, 422),
        ({"input": [[1, 2], [3, 4]], "size": 2, "padding": 2}, 422),
        ({"input": [[1, 2], [3, 4]], "padding": 10**12}, 422),
        ({"input": [[1, 2], [3, 4]], "size": 10**12}, 422),
        ({"input": [[1e308, 1e308], [1e308, 1e308]], "mode": "avg"}, 422),
        ({"input": [[0.0] * 513]}, 413),
        ({"input": [[[0.0]]] * 65}, 413),
    ],
)
def test_pool2d_invalid(client, body, status):
    response = client.post("/api/pool2d", json=body)
    assert response.status_code == status, response.text
    assert isinstance(response.json()["detail"], str) and response.json()["detail"]


def test_pool2d_reason_in_russian(client):
    response = client.post("/api/pool2d", json={"input": [[1, 2], [3, 4]], "size": 3},
                           headers={"accept-language": "ru-RU,ru;q=0.9"})
    assert response.status_code == 422
    assert any("а" <= ch <= "я" for ch in response.json()["detail"].lower())


@pytest.mark.parametrize("raw", [b"{bad", b"", b"[]", b"null", b"5", b'{"input": [[NaN]]}', b'{"input": [[Infinity]]}',
                                 b'{"input": [[1e999]]}', b'{"input": [[-Infinity, 1], [2, 3]]}'])
def test_pool2d_malformed_json(client, raw):
    response = client.post("/api/pool2d", content=raw, headers={"content-type": "application/json"})
    assert 400 <= response.status_code < 500, response.text


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10, 10) | st.integers() | st.floats() | st.text(max_size=3),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=3), children, max_size=3),
    max_leaves=40,
)
grids = st.integers(1, 6).flatmap(
    lambda w: st.lists(st.lists(st.floats(-1e308, 1e308) | st.integers(-5, 5), min_size=w, max_size=w), min_size=1,
                       max_size=6)
)


@FUZZ
@given(body=st.fixed_dictionaries(
    {"input": grids | json_values},
    optional={"mode": st.sampled_from(["max", "avg"]) | json_values, "size": json_values, "stride": json_values,
              "padding": json_values},
))
def test_pool2d_never_500(client, body):
    response = client.post("/api/pool2d", content=json.dumps(body), headers={"content-type": "application/json"})
    assert response.status_code < 500, (body, response.text)
    if response.status_code >= 400:
        assert response.json()["detail"]


# GET /api/conv-arithmetic

def loop_width(width, kernel, stride, padding, dilation):
    """Output positions counted one by one: windows that fit inside the padded input."""
    span = dilation * (kernel - 1) + 1
    count, start = 0, 0
    while start + span <= width + 2 * padding:
        count += 1
        start += stride
    return count


@CHECK
@given(st.integers(1, 64), st.integers(1, 9), st.integers(1, 5), st.integers(0, 4), st.integers(1, 3),
       st.integers(1, 64), st.integers(1, 64))
def test_conv_arithmetic_matches_counting(client, width, kernel, stride, padding, dilation, d1, k):
    query = {"input": width, "kernel": kernel, "stride": stride, "padding": padding, "dilation": dilation,
             "in_channels": d1, "filters": k}
    response = client.get("/api/conv-arithmetic", params=query)
    assert response.status_code == 200, response.text
    body = response.json()
    positions = loop_width(width, kernel, stride, padding, dilation)
    exact = (width - (dilation * (kernel - 1) + 1) + 2 * padding) / stride + 1
    assert body["valid"] == (positions >= 1 and exact == positions)
    assert body["output_size"] == (positions if body["valid"] else None)
    assert body["floor_output"] == (positions if positions >= 1 else None)
    assert body["params"] == kernel * kernel * d1 * k + k and body["biases"] == k
    assert body["reason"] == body["reasons"]["en"]
    assert bool(body["reason"]) is not body["valid"]


def test_conv_arithmetic_lecture_examples(client):
    seven = client.get("/api/conv-arithmetic", params={"input": 7, "kernel": 3, "stride": 1, "padding": 1}).json()
    assert seven["formula"] == "(7 − 3 + 2·1)/1 + 1 = 7" and seven["output_size"] == 7
    uneven = client.get("/api/conv-arithmetic", params={"input": 7, "kernel": 3, "stride": 3},
                        headers={"accept-language": "ru"}).json()
    assert uneven["valid"] is False and uneven["floor_output"] == loop_width(7, 3, 3, 0, 1)
    assert uneven["reason"] == uneven["reasons"]["ru"] and any("а" <= ch <= "я" for ch in uneven["reason"])
    alexnet = client.get("/api/conv-arithmetic", params={"input": 227, "kernel": 11, "stride": 4,
                                                         "in_channels": 3, "filters": 96}).json()
    assert alexnet["output_size"] == loop_width(227, 11, 4, 0, 1) and alexnet["params"] == 11 * 11 * 3 * 96 + 96


@pytest.mark.parametrize(
    "query",
    [
        {}, {"input": 7}, {"kernel": 3}, {"input": "seven", "kernel": 3}, {"input": 7, "kernel": 3.5},
        {"input": 0, "kernel": 3}, {"input": -1, "kernel": 3}, {"input": 7, "kernel": 0},
        {"input": 7, "kernel": 3, "stride": 0}, {"input": 7, "kernel": 3, "padding": -1},
        {"input": 7, "kernel": 3, "dilation": 0}, {"input": 7, "kernel": 3, "in_channels": 0},
        {"input": 7, "kernel": 3, "filters": 0}, {"input": 10**6, "kernel": 3}, {"input": 7, "kernel": 10**6},
        {"input": 10**30, "kernel": 3}, {"input": 7, "kernel": 3, "filters": 10**9},
        {"input": "nan", "kernel": 3}, {"input": "", "kernel": 3},
    ],
)
def test_conv_arithmetic_invalid(client, query):
    response = client.get("/api/conv-arithmetic", params=query)
    assert response.status_code == 422, response.text
    assert isinstance(response.json()["detail"], str) and response.json()["detail"]


def test_conv_arithmetic_kernel_too_big_is_an_answer(client):
    body = client.get("/api/conv-arithmetic", params={"input": 2, "kernel": 5}).json()
    assert body["valid"] is False and body["floor_output"] is None and "fits nowhere" in body["reason"]


query_values = st.integers() | st.text(max_size=6) | st.floats().map(str) | st.sampled_from(["", "1e3", "-0", "0x10"])


@FUZZ
@given(st.dictionaries(
    st.sampled_from(["input", "kernel", "stride", "padding", "dilation", "in_channels", "filters", "other"]),
    query_values, max_size=8,
))
def test_conv_arithmetic_never_500(client, query):
    response = client.get("/api/conv-arithmetic", params=query)
    assert response.status_code in (200, 422), (query, response.text)
