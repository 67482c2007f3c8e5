"""A closed-loop HTTP/1.1 load generator: `connections` keep-alive connections, each sending the same
request again as soon as its answer is in, for `duration` seconds after a warm-up.

`wrk` (Debian's package) is used when it is installed; otherwise a plain-asyncio client, spread over
`processes` processes so the client is not what limits a server on a many-core machine. Both report
requests/s and latency percentiles of the 2xx answers, and count the other statuses.
"""

import asyncio
import multiprocessing
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field


@dataclass
class Load:
    """What one run measured: completed 2xx requests per second and their latency in seconds."""

    tool: str
    seconds: float
    ok: int
    other: dict[int, int] = field(default_factory=dict)
    p50: float = float("nan")
    p99: float = float("nan")

    @property
    def rps(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def line(self) -> str:
        extra = ", ".join(f"{n}× {status}" for status, n in sorted(self.other.items()))
        return (f"{self.rps:8.0f} req/s  p50 {self.p50 * 1000:6.1f} ms  p99 {self.p99 * 1000:6.1f} ms"
                + (f"  (not 2xx: {extra})" if extra else ""))


def request_bytes(host: str, port: int, path: str, body: bytes, content_type: str) -> bytes:
    head = (f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\nAccept: application/json\r\n\r\n")
    return head.encode("latin-1") + body


def multipart(field_name: str, filename: str, data: bytes, content_type: str) -> tuple[bytes, str]:
    """(body, content type) of a multipart form with one file."""
    boundary = "stridebenchboundary7MA4YWxkTrZu0gW"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{field_name}\"; filename=\"{filename}\"\r\n"
            f"Content-Type: {content_type}\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def _percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


# --- the asyncio client -------------------------------------------------------------------------

async def _one_connection(host, port, request, start_at, stop_at, latencies, statuses):
    reader = writer = None
    loop = asyncio.get_running_loop()
    while loop.time() < stop_at:
        if writer is None:
            reader, writer = await asyncio.open_connection(host, port)
        sent = loop.time()
        writer.write(request)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()
            writer = None
            continue
        status = int(head[9:12])
        match = re.search(rb"(?i)\r\ncontent-length:\s*(\d+)", head)
        if match:
            await reader.readexactly(int(match.group(1)))
        else:  # chunked: read to the terminating chunk
            while True:
                size = int((await reader.readuntil(b"\r\n")).strip(), 16)
                await reader.readexactly(size + 2)
                if size == 0:
                    break
        done = loop.time()
        if start_at <= sent and done <= stop_at:
            if 200 <= status < 300:
                latencies.append(done - sent)
            else:
                statuses[status] = statuses.get(status, 0) + 1
        if re.search(rb"(?i)\r\nconnection:\s*close", head):
            writer.close()
            writer = None
    if writer is not None:
        writer.close()


async def _client(host, port, requests, warmup, duration):
    """One connection per request in `requests`, each sending its own request again and again."""
    loop = asyncio.get_running_loop()
    start_at = loop.time() + warmup
    stop_at = start_at + duration
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    await asyncio.gather(*(_one_connection(host, port, request, start_at, stop_at, latencies, statuses)
                           for request in requests))
    return latencies, statuses


def _run(coroutine):
    try:
        import uvloop  # faster when present

        return uvloop.run(coroutine)
    except ImportError:
        return asyncio.run(coroutine)


def _client_process(host, port, requests, warmup, duration, queue):
    queue.put(_run(_client(host, port, requests, warmup, duration)))


def python_load(host: str, port: int, request: bytes | list[bytes], connections: int, duration: float,
                warmup: float = 1.0, processes: int = 1) -> Load:
    """`request` is sent on every connection, or connection i sends request[i % len(request)]."""
    requests = [request] if isinstance(request, bytes) else list(request)
    per_connection = [requests[i % len(requests)] for i in range(connections)]
    processes = max(1, min(processes, connections))
    if processes == 1:
        latencies, statuses = _run(_client(host, port, per_connection, warmup, duration))
    else:
        context = multiprocessing.get_context("spawn")
        queue = context.Queue()
        workers = [context.Process(target=_client_process,
                                   args=(host, port, per_connection[k::processes], warmup, duration, queue))
                   for k in range(processes)]
        for worker in workers:
            worker.start()
        latencies, statuses = [], {}
        for _ in workers:
            part, codes = queue.get(timeout=warmup + duration + 120)
            latencies += part
            for code, n in codes.items():
                statuses[code] = statuses.get(code, 0) + n
        for worker in workers:
            worker.join()
    latencies.sort()
    return Load("python-asyncio", duration, len(latencies), statuses,
                _percentile(latencies, 0.50), _percentile(latencies, 0.99))


# --- wrk ----------------------------------------------------------------------------------------

_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}


def _seconds(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * _UNITS[unit]


def wrk_load(host: str, port: int, path: str, body: bytes, content_type: str, connections: int, duration: float,
             threads: int = 2, warmup: float = 1.0) -> Load:
    with tempfile.TemporaryDirectory() as folder:
        body_file = os.path.join(folder, "body")
        with open(body_file, "wb") as out:
            out.write(body)
        script = os.path.join(folder, "post.lua")
        with open(script, "w") as out:
            out.write(f'local f = io.open("{body_file}", "rb")\nwrk.body = f:read("*all")\nf:close()\n'
                      f'wrk.method = "POST"\nwrk.headers["Content-Type"] = "{content_type}"\n'
                      'wrk.headers["Accept"] = "application/json"\n')
        url = f"http://{host}:{port}{path}"
        base = ["wrk", "-t", str(threads), "-c", str(connections), "-s", script, "--latency", "--timeout", "30s"]
        if warmup > 0:
            subprocess.run(base + ["-d", f"{max(1, round(warmup))}s", url], capture_output=True, check=True)
        out = subprocess.run(base + ["-d", f"{max(1, round(duration))}s", url], capture_output=True, text=True,
                             check=True).stdout
    total = int(re.search(r"(\d+) requests in ([\d.]+\w+)", out).group(1))
    seconds = _seconds(re.search(r"\d+ requests in ([\d.]+\w+)", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    other = {}
    if bad:
        other[0] = int(bad.group(1))  # wrk does not say which status
    if errors:
        failed = sum(int(n) for n in errors.groups())
        if failed:
            other[-1] = failed
    p50 = _seconds(re.search(r"50%\s+([\d.]+\w+)", out).group(1))
    p99 = _seconds(re.search(r"99%\s+([\d.]+\w+)", out).group(1))
    return Load("wrk", seconds, total - other.get(0, 0), other, p50, p99)


def load(host: str, port: int, path: str, body: bytes, content_type: str, connections: int, duration: float,
         tool: str = "auto", processes: int = 1, warmup: float = 1.0) -> Load:
    """Run one load test with wrk when it is installed (tool="auto"), else the asyncio client."""
    if tool == "wrk" or (tool == "auto" and shutil.which("wrk")):
        return wrk_load(host, port, path, body, content_type, connections, duration,
                        threads=max(1, min(processes, connections)), warmup=warmup)
    request = request_bytes(host, port, path, body, content_type)
    return python_load(host, port, request, connections, duration, warmup, processes)

