"""The deployment of deploy/compose.yaml without Docker, on loopback: redis-server, two Stride replicas and nginx
with deploy/nginx.conf (its upstreams rendered as the two loopback ports). Through the proxy: pages, a prediction,
the 413 shape, and one live session followed on both replicas; then one replica is killed and no session is lost.
"""

import json
import os
import queue
import re
import shutil
import signal
import subprocess
import threading
import time

import httpx
import pytest

from tests.serving.servers import ROOT, free_port, start_stride, stop, wait_for

NGINX = os.environ.get("STRIDE_NGINX", "/usr/sbin/nginx")
STATE = {"lesson": "convolution", "lang": "en", "slide": 1, "query": ""}


def render_nginx_conf(upstreams: list[str], port: int) -> str:
    """deploy/nginx.conf with the compose service name replaced by `upstreams` and listening on loopback."""
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    servers = "\n        ".join(f"server {address} max_fails=1 fail_timeout=30s;" for address in upstreams)
    conf, found = re.subn(r"server app:8000[^;]*;", servers, conf)
    assert found == 1, "deploy/nginx.conf must name its upstream as `server app:8000 …;`"
    conf, found = re.subn(r"listen 8080;", f"listen 127.0.0.1:{port};", conf)
    assert found == 1
    return conf.replace("include /etc/nginx/mime.types;", "types { application/json json; }")


@pytest.fixture(scope="module")
def topology(redis_url, tmp_path_factory):
    if not (os.path.exists(NGINX) or shutil.which(NGINX)):
        message = f"nginx not found at {NGINX}: run `make test` as root, or install Debian's nginx"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    replicas = [start_stride(None, STRIDE_REDIS_URL=redis_url) for _ in range(2)]
    folder = tmp_path_factory.mktemp("nginx")
    port = free_port()
    (folder / "nginx.conf").write_text(render_nginx_conf([base.removeprefix("http://") for _, base in replicas], port))
    nginx = subprocess.Popen(
        [NGINX, "-p", str(folder), "-c", str(folder / "nginx.conf"),
         "-g", f"daemon off; pid {folder}/nginx.pid; error_log {folder}/error.log warn;"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    proxy = f"http://127.0.0.1:{port}"
    try:
        wait_for(proxy + "/healthz", nginx, seconds=20)
    except RuntimeError:
        nginx.kill()
        for process, _ in replicas:
            stop(process)
        raise RuntimeError("nginx did not start: " + nginx.stderr.read().decode()[-2000:]) from None
    yield {"proxy": proxy, "replicas": replicas}
    nginx.send_signal(signal.SIGQUIT)
    try:
        nginx.wait(timeout=10)
    except subprocess.TimeoutExpired:
        nginx.kill()
    for process, _ in replicas:
        stop(process)


class Follower:
    """A live-session follower reading the event stream in a thread; its events land in `events`."""

    def __init__(self, url: str):
        self.events: queue.Queue = queue.Queue()
        self.thread = threading.Thread(target=self._read, args=(url,), daemon=True)
        self.thread.start()

    def _read(self, url: str) -> None:
        try:
            with httpx.stream("GET", url, timeout=httpx.Timeout(30, read=60)) as response:
                kind = None
                for line in response.iter_lines():
                    if line.startswith("event:"):
                        kind = line.split(":", 1)[1].strip()
                    elif line.startswith("data:") and kind:
                        self.events.put((kind, json.loads(line.split(":", 1)[1])))
        except httpx.HTTPError as error:
            self.events.put(("closed", str(error)))

    def next_state(self, timeout: float = 20) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            kind, data = self.events.get(timeout=max(0.1, deadline - time.monotonic()))
            if kind == "state":
                return data
            assert kind != "closed", data


def test_pages_predictions_and_the_body_limit_through_nginx(topology):
    proxy = topology["proxy"]
    with httpx.Client(base_url=proxy, timeout=60) as client:
        for path in ("/", "/en/", "/ru/lessons/convolution", "/en/lessons/pooling/present", "/static/css/stride.css"):
            assert client.get(path).status_code == 200, path
        response = client.get("/en", follow_redirects=False, headers={"host": "evil.example"})
        assert response.headers["location"] == "/en/"
        conv = client.post("/api/conv2d", json={"input": [[1, 2, 3], [4, 5, 6], [7, 8, 9]], "kernel": [[1, 0], [0, -1]]})
        assert conv.json() == {"output": [[-4.0, -4.0], [-4.0, -4.0]], "shape": [2, 2]}
        digit = [[0.0] * 28 for _ in range(28)]
        for row in range(6, 22):
            digit[row][13] = digit[row][14] = 1.0
        predicted = client.post("/api/models/lenet5/predict", json={"pixels": digit})
        assert predicted.status_code == 200 and 0 <= predicted.json()["prediction"] <= 9
        too_large = client.post("/api/conv2d", content=b"1" * (10 * 2**20 + 1), headers={"content-type": "application/json"})
        assert too_large.status_code == 413 and "10,485,760 bytes" in too_large.json()["detail"]


def test_a_live_session_spans_both_replicas_and_survives_losing_one(topology):
    proxy, replicas = topology["proxy"], topology["replicas"]
    created = httpx.post(proxy + "/api/live", json={"lesson": "convolution", "lang": "en"})
    assert created.status_code == 201, created.text
    code, key = created.json()["code"], created.json()["presenter_key"]
    headers = {"authorization": f"Bearer {key}"}
    # Followers on each replica directly and through the proxy; the presenter drives through the proxy.
    followers = [Follower(f"{base}/api/live/{code}/events") for _, base in replicas]
    followers.append(Follower(f"{proxy}/api/live/{code}/events"))
    for follower in followers:
        assert follower.next_state() == STATE
    for slide in (2, 3):
        state = {**STATE, "slide": slide, "query": f"demo.stride={slide}"}
        assert httpx.put(f"{proxy}/api/live/{code}/state", json=state, headers=headers).status_code == 204
        for follower in followers:
            assert follower.next_state() == state

    # One replica goes away: the session lives on in Redis and on the other replica, through the same proxy.
    doomed, _ = replicas[0]
    doomed.kill()
    doomed.wait(timeout=10)
    survivor = followers[1]
    state = {**STATE, "slide": 4}
    for _ in range(3):  # nginx skips the dead replica (its connections are refused) and retries on the other
        assert httpx.put(f"{proxy}/api/live/{code}/state", json=state, headers=headers).status_code == 204
    assert survivor.next_state() == state
    late = Follower(f"{proxy}/api/live/{code}/events")  # a student joining now gets the current slide
    assert late.next_state() == state
    for _ in range(4):
        assert httpx.get(f"{proxy}/live/{code}").status_code == 200
        assert httpx.get(f"{proxy}/api/live/{code}/answers", headers=headers).status_code == 200
    assert httpx.get(proxy + "/en/lessons/convolution").status_code == 200
