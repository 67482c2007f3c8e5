"""Start a uvicorn server for a benchmark in a subprocess on a free loopback port, and stop it."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _stat(pid: int) -> list[str]:
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rsplit(")", 1)[1].split()  # fields after the command name


def _tree(root: int) -> list[int]:
    """root and every process below it."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                children.setdefault(int(_stat(int(entry))[1]), []).append(int(entry))
            except (OSError, IndexError):
                continue
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children.get(pid, [])
    return found


def _cpu_of(pid: int) -> float:
    try:
        fields = _stat(pid)
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


class Server:
    """`python -m uvicorn <target>` with the same settings for every app a benchmark compares."""

    def __init__(self, target: str, env: dict[str, str] | None = None, workers: int = 1, factory: bool = False,
                 ready_path: str = "/docs", timeout: float = 120):
        self.port = free_port()
        self.base = f"http://{HOST}:{self.port}"
        command = [sys.executable, "-m", "uvicorn", target, "--host", HOST, "--port", str(self.port),
                   "--log-level", "warning", "--no-access-log", "--workers", str(workers)]
        if factory:
            command.append("--factory")
        self.process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **(env or {})})
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(self.base + ready_path, timeout=2):
                    break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"{target} did not start on port {self.port}")
                time.sleep(0.2)

    def cpu_seconds(self) -> float:
        """CPU time (user + system) used so far by the server and its worker processes (Linux /proc)."""
        return sum(_cpu_of(pid) for pid in _tree(self.process.pid))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
