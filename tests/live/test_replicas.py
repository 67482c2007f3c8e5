"""Two Stride processes on loopback sharing one redis-server: a student on one follows an instructor on the other."""

import json
import queue
import threading
import time

import httpx
import pytest

from app.lessons import load_catalog
from app.settings import Settings
from app.web.widgets import EXERCISES, WIDGETS
from app.web.widgets.registry import make_question
from tests.browser.conftest import start_server, stop_server
from tests.web.test_exercises import right_answer

STATE = {"lesson": "pooling", "lang": "ru", "slide": 2, "query": "pool.size=3"}


@pytest.fixture(scope="module")
def replicas(redis_url):
    started = [start_server(STRIDE_REDIS_URL=redis_url) for _ in range(2)]
    yield [base for _, base in started]
    for process, _ in started:
        stop_server(process)


def listen(url: str, events: queue.Queue, stop: threading.Event) -> None:
    """Put every (event, data) of an SSE stream on `events` until `stop` is set or the stream ends."""
    with httpx.stream("GET", url, timeout=httpx.Timeout(5, read=30)) as response:
        events.put(("status", response.status_code))
        fields = {}
        for line in response.iter_lines():
            if stop.is_set():
                return
            if line.startswith(":"):
                continue
            if line:
                name, _, value = line.partition(": ")
                fields[name] = value
            elif fields:
                events.put((fields["event"], json.loads(fields["data"])))
                if fields["event"] == "end":
                    return
                fields = {}


def wait_for(events: queue.Queue, kind: str, timeout: float = 10):
    deadline = time.monotonic() + timeout
    while True:
        got, data = events.get(timeout=max(0.01, deadline - time.monotonic()))
        if got == kind:
            return data


def test_a_student_on_one_replica_follows_an_instructor_on_another(replicas):
    one, two = replicas
    created = httpx.post(f"{two}/api/live", json={"lesson": "pooling", "lang": "en"}).json()
    code, auth = created["code"], {"authorization": f"Bearer {created['presenter_key']}"}
    assert httpx.get(f"{one}/live/{code}").status_code == 200  # the join page knows it on the other replica

    events, stop = queue.Queue(), threading.Event()
    student = threading.Thread(target=listen, args=(f"{one}/api/live/{code}/events", events, stop), daemon=True)
    student.start()
    assert wait_for(events, "status") == 200
    assert wait_for(events, "state")["slide"] == 1

    assert httpx.put(f"{two}/api/live/{code}/state", json=STATE, headers=auth).status_code == 204
    assert wait_for(events, "state", timeout=5) == STATE

    # A check on replica one counts; replica two reports it and the follower connected to replica one.
    lesson = "pooling"
    block = next(b for b in load_catalog(Settings().lessons_dir, WIDGETS, EXERCISES).get("en", lesson).blocks.values()
                 if b.kind == "exercise")
    question = make_question(EXERCISES[block.name], 11, "en", block.params)
    response = httpx.post(f"{one}/en/lessons/{lesson}/exercises/{block.id}/check",
                          data={"seed": "11", "answer": right_answer(question), "live": code})
    assert response.status_code == 200
    answers = wait_for(events, "answers", timeout=5)
    deadline = time.monotonic() + 5
    while True:
        report = httpx.get(f"{two}/api/live/{code}/answers", headers=auth).json()
        if report["followers"] == 1 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert report["followers"] == 1
    assert answers["exercises"] == report["exercises"] == [
        {"lesson": lesson, "id": block.id, "answered": 1, "correct": 1}]

    assert httpx.delete(f"{one}/api/live/{code}", headers=auth).status_code == 204
    assert wait_for(events, "end", timeout=5) == {}
    student.join(timeout=5)
    assert httpx.get(f"{two}/api/live/{code}/events").status_code == 404
