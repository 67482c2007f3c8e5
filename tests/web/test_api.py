"""The JSON API: valid requests match torch; every invalid one is a 4xx with a reason, never a 500."""

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


def test_conv2d_matches_torch(client):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 7, 6)).round(3)
    w = rng.normal(size=(3, 2, 3, 2)).round(3)
    b = rng.normal(size=3).round(3)
    body = {"input": x.tolist(), "kernel": w.tolist(), "bias": b.tolist(), "stride": [2, 1], "padding": 1, "dilation": [1, 2]}
    response = client.post("/api/conv2d", json=body)
    assert response.status_code == 200, response.text
    expected = F.conv2d(torch.tensor(x)[None], torch.tensor(w), torch.tensor(b), stride=(2, 1), padding=1, dilation=(1, 2))[0]
    assert response.json()["shape"] == list(expected.shape)
    assert np.allclose(response.json()["output"], expected.numpy(), atol=1e-9)


def test_conv2d_two_dimensional_in_and_out(client):
    response = client.post("/api/conv2d", json={"input": [[1, 2, 3], [4, 5, 6], [7, 8, 9]], "kernel": [[1, 0], [0, -1]]})
    assert response.json() == {"output": [[-4.0, -4.0], [-4.0, -4.0]], "shape": [2, 2]}


@pytest.mark.parametrize(
    "body",
    [
        {"input": [[1, 2], [3]], "kernel": [[1]]},
        {"input": [[1, "a"], [3, 4]], "kernel": [[1]]},
        {"input": [[1, True], [3, 4]], "kernel": [[1]]},
        {"input": [[1, None], [3, 4]], "kernel": [[1]]},
        {"input": [[1, 2], [3, 4]], "kernel": [[1, 1, 1]]},
        {"input": [[[1, 2], [3, 4]]], "kernel": [[[[1]], [[1]]]]},
        {"input": [[1, 2], [3, 4]], "kernel": [[1]], "stride": 0},
        {"input": [[1, 2], [3, 4]], "kernel": [[1]], "dilation": 0},
        {"input": [[1, 2], [3, 4]], "kernel": [[1]], "padding": -1},
        {"input": [[1, 2], [3, 4]], "kernel": [[1]], "stride": [1, 2, 3]},
        {"input": [[1, 2], [3, 4]], "kernel": [[1]], "stride": 1.5},
        {"input": [[1, 2], [3, 4]], "kernel": [[1]], "bias": [1, 2]},
        {"input": [], "kernel": [[1]]},
        {"input": 5, "kernel": [[1]]},
        {"kernel": [[1]]},
        {"input": [[0.0] * 600] * 600, "kernel": [[1]]},
        {"input": [[1, 2], [3, 4]], "kernel": [[1]], "padding": 10**9},
    ],
)
def test_conv2d_invalid_is_4xx_with_reason(client, body):
    response = client.post("/api/conv2d", json=body)
    assert 400 <= response.status_code < 500, response.text
    assert isinstance(response.json()["detail"], str) and response.json()["detail"]


@pytest.mark.parametrize("raw", [b"{bad", b"", b"[]", b"null", b'{"input": [[NaN]], "kernel": [[1]]}',
                                 b'{"input": [[Infinity]], "kernel": [[1]]}', b'{"input": [[1e999]], "kernel": [[1]]}'])
def test_conv2d_malformed_json(client, raw):
    response = client.post("/api/conv2d", content=raw, headers={"content-type": "application/json"})
    assert 400 <= response.status_code < 500, response.text


def test_error_message_in_russian(client):
    response = client.post("/api/conv2d", json={"input": [[1]], "kernel": [[1]], "stride": 0},
                           headers={"accept-language": "ru"})
    assert response.status_code == 422
    assert any("а" <= ch <= "я" for ch in response.json()["detail"].lower())


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=3),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=3), children, max_size=3),
    max_leaves=30,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.fixed_dictionaries(
    {"input": json_values, "kernel": json_values},
    optional={"bias": json_values, "stride": json_values, "padding": json_values, "dilation": json_values},
))
def test_conv2d_never_500(client, body):
    response = client.post("/api/conv2d", content=json.dumps(body), headers={"content-type": "application/json"})
    assert response.status_code < 500, (body, response.text)
