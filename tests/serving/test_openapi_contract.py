"""Schemathesis, every check, against a running Stride's /openapi.json: each response matches its documented
status, body and headers, schema-invalid requests are refused, and nothing answers 5xx but a documented 503.
Bounded and deterministic (30 examples per operation) so it fits the test budget."""

import subprocess
import sys
from pathlib import Path

import pytest

from tests.serving.servers import server_log, start_stride, stop

CONFIG = Path(__file__).with_name("schemathesis.toml")


@pytest.fixture(scope="module")
def server():
    process, url = start_stride(STRIDE_QUEUE_SIZE=64)
    yield process, url
    stop(process)


def test_schemathesis_finds_nothing(server):
    process, base = server
    command = [sys.executable, "-m", "schemathesis.cli", "--config-file", str(CONFIG), "run", f"{base}/openapi.json",
               "--checks", "all", "--phases", "examples,coverage,fuzzing",
               "--continue-on-failure", "--workers", "2", "--request-timeout", "60"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=900)
    summary = result.stdout[result.stdout.find("SUMMARY"):]
    assert result.returncode == 0, result.stdout[-12000:] + "\nserver log:\n" + server_log(process)[-4000:]
    assert "No issues found" in summary or "passed" in summary, summary
