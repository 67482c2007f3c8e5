"""Classification of an uploaded photo through the HTTP API vs a bare forward pass, in the same run.

ResNet-18 with a state dict this script writes itself (weights=None: the timing is the same as with
trained weights, and nothing is downloaded); the upload is an 800×600 JPEG made by bench/photo.py.
The bare pass is `model(x).softmax(1).topk(5)` on an input already prepared on the device; the API
request is the whole thing: HTTP, multipart, decoding (on the GPU there), preprocessing, forward, JSON.
One client, requests one after another on a keep-alive connection. Goal: ≤ 1.25× on the CPU, ≤ 2× on a GPU.
"""

import http.client
import statistics
import sys
import tempfile
import time

import torch
import torchvision

from bench import loadgen
from bench.photo import jpeg_bytes, picture
from bench.servers import HOST, Server

GOALS = {"cpu": 1.25, "cuda": 2.0}
MODEL = "resnet18"


def write_weights(weights_dir: str) -> None:
    from app.compute.nets import registry

    spec = registry.MODELS[MODEL]
    torch.manual_seed(0)
    torch.save(torchvision.models.resnet18(weights=None).state_dict(), registry.weights_path(spec, weights_dir))


def _sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def bare_times(device: str, repeat: int) -> list[float]:
    from app.compute.nets import registry

    model = torchvision.models.resnet18(weights=None).to(device).eval()
    x = registry.MODELS[MODEL].transforms()(picture())[None].to(device)  # (1, 3, 224, 224)
    times = []
    with torch.inference_mode():
        for i in range(repeat + 5):  # 5 warm-up passes
            start = time.perf_counter()
            model(x).softmax(1).topk(5)
            _sync(device)
            if i >= 5:
                times.append(time.perf_counter() - start)
    return times


def api_times(port: int, body: bytes, content_type: str, repeat: int) -> list[float]:
    connection = http.client.HTTPConnection(HOST, port, timeout=120)
    headers = {"content-type": content_type, "accept": "application/json"}
    times = []
    for i in range(repeat + 5):
        start = time.perf_counter()
        connection.request("POST", f"/api/models/{MODEL}/predict", body, headers)
        response = connection.getresponse()
        answer = response.read()
        if response.status != 200:
            raise RuntimeError(f"{response.status}: {answer[:300]!r}")
        if i >= 5:
            times.append(time.perf_counter() - start)
    connection.close()
    return times


def run(device: str = "cpu", repeat: int = 30) -> dict:
    body, content_type = loadgen.multipart("image", "photo.jpg", jpeg_bytes(), "image/jpeg")
    with tempfile.TemporaryDirectory() as weights_dir:
        write_weights(weights_dir)
        env = {"STRIDE_WEIGHTS_DIR": weights_dir, "STRIDE_DEVICE": device}
        with Server("app.main:create_app", env, factory=True, ready_path="/healthz") as server:
            bare, api = [], []
            for _ in range(3):  # interleaved rounds: a drift in the machine's speed hits both alike
                bare += bare_times(device, repeat // 3)
                api += api_times(server.port, body, content_type, repeat // 3)
    bare_ms, api_ms = statistics.median(bare) * 1000, statistics.median(api) * 1000
    return {"device": device, "bare_ms": bare_ms, "api_ms": api_ms, "ratio": api_ms / bare_ms,
            "api_p90_ms": sorted(api)[int(0.9 * len(api))] * 1000, "goal": GOALS[device],
            "threads": torch.get_num_threads()}


def report(result: dict) -> str:
    verdict = "ok" if result["ratio"] <= result["goal"] else "OVER"
    return (f"classification through the API ({result['device']}, one client, {MODEL}, 800×600 JPEG upload): "
            f"bare forward {result['bare_ms']:.1f} ms, upload → top-5 {result['api_ms']:.1f} ms "
            f"(p90 {result['api_p90_ms']:.1f} ms), ratio {result['ratio']:.2f}× (goal ≤ {result['goal']}×: {verdict})")


if __name__ == "__main__":
    print(report(run(sys.argv[1] if len(sys.argv) > 1 else ("cuda" if torch.cuda.is_available() else "cpu"))))
