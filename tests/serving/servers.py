"""Real `stride serve` processes on free loopback ports, for tests that need a real HTTP server (timeouts,
lingering 413s, several workers, the nginx topology)."""

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, process: subprocess.Popen | None = None, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if (process is not None and process.poll() is not None) or time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer")
        time.sleep(0.3)


def start_stride(port: int | None = None, *args: str, **env_overrides) -> tuple[subprocess.Popen, str]:
    """`stride serve` (through app.cli, with its uvicorn options) on 127.0.0.1; returns it once /healthz answers."""
    port = port or free_port()
    env = {**os.environ, "STRIDE_DEVICE": "cpu", "STRIDE_TORCH_THREADS": "1",
           **{k: str(v) for k, v in env_overrides.items()}}
    log = tempfile.TemporaryFile()  # a file, not a pipe: a pipe nobody reads would block the server when full
    process = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
                                *args], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log)
    process.log = log
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(base + "/healthz", process)
    except RuntimeError:
        stop(process)
        raise RuntimeError("stride serve did not start: " + server_log(process)[-2000:]) from None
    return process, base


def server_log(process: subprocess.Popen) -> str:
    """What the server wrote to stderr so far."""
    process.log.seek(0)
    return process.log.read().decode(errors="replace")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
