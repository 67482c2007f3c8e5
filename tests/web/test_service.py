"""The model service: bounded queue (503 + Retry-After), single-flight, cache, micro-batching, OOM fallback."""

import threading
import time

import re
from html import unescape

import pytest
import torch
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from app.web.service import Busy, MicroBatcher, ModelService


def test_identical_concurrent_requests_are_computed_once():
    service = ModelService("cpu", max_waiting=8)
    calls = []
    gate = threading.Event()

    def work(device):
        calls.append(device)
        gate.wait(5)
        return {"answer": 42}

    results = []
    threads = [threading.Thread(target=lambda: results.append(service.run(work, key="same"))) for _ in range(6)]
    for thread in threads:
        thread.start()
    time.sleep(0.2)
    gate.set()
    for thread in threads:
        thread.join(5)
    assert results == [{"answer": 42}] * 6
    assert calls == ["cpu"]
    assert service.stats["joined"] == 5


def test_cache_keeps_sample_results():
    service = ModelService("cpu", max_waiting=4)
    calls = []
    for _ in range(3):
        assert service.run(lambda d: calls.append(d) or len(calls), key=("sample", "cat"), cache=True) == 1
    assert len(calls) == 1 and service.stats["cached"] == 2


def test_full_queue_refuses_with_retry_after():
    service = ModelService("cpu", max_waiting=2)
    gate = threading.Event()
    threads = [threading.Thread(target=service.run, args=(lambda d: gate.wait(5),)) for _ in range(2)]
    for thread in threads:
        thread.start()
    time.sleep(0.2)
    with pytest.raises(Busy) as refused:
        service.run(lambda d: None)
    assert refused.value.retry_after >= 1 and "busy" in refused.value.message("en")
    gate.set()
    for thread in threads:
        thread.join(5)
    assert service.run(lambda d: "ok") == "ok"  # the queue drains and serves again


def test_a_bounded_wait_gives_up_with_retry_after_and_the_work_goes_on():
    """A page's caller and a joiner wait `wait` seconds at most; the computation goes on and is kept for the retry,
    and a caller without a bound (an API call) still gets the result."""
    service = ModelService("cpu", max_waiting=4)
    gate, calls = threading.Event(), []

    def slow(device):
        calls.append(device)
        gate.wait(30)
        return "maps"

    patient = []
    api = threading.Thread(target=lambda: patient.append(service.run(slow, key="k", cache=True)))
    api.start()
    time.sleep(0.1)
    for _ in range(2):  # a page's joiner gives up, and so does its retry while the work still runs
        started = time.monotonic()
        with pytest.raises(Busy) as gave_up:
            service.run(slow, key="k", cache=True, wait=0.2)
        assert time.monotonic() - started < 5  # a generous bound: the point is "not 120 s"
        assert gave_up.value.retry_after >= 1 and "busy" in gave_up.value.message("en")
    gate.set()
    api.join(10)
    assert patient == ["maps"] and calls == ["cpu"]  # one computation for all three callers
    assert service.run(slow, key="k", cache=True, wait=0.2) == "maps"  # the retry finds it kept
    assert service.stats["gave_up"] == 2 and service.status()["waiting"] == 0


def test_a_slow_widget_answers_503_within_the_page_wait(monkeypatch):
    """A widget whose network takes longer than STRIDE_PAGE_WAIT: 503 + Retry-After with the translated message
    (htmx shows it and asks again); once the work is done, the fragment renders from the kept result."""
    from app.compute.nets import feature_maps

    gate, real = threading.Event(), feature_maps.sample_hierarchy

    def slow(*args, **kwargs):
        gate.wait(30)
        return real(*args, **kwargs)

    monkeypatch.setattr(feature_maps, "sample_hierarchy", slow)
    with TestClient(create_app(Settings(device="cpu", page_wait=0.3))) as client:
        url = "/{lang}/lessons/feature-hierarchy/widgets/hierarchy?hierarchy.model=efficientnet_lite0"
        try:
            for lang, words in (("en", "The server is busy"), ("ru", "Сервер занят")):
                started = time.monotonic()
                busy = client.get(url.format(lang=lang))
                assert time.monotonic() - started < 10
                assert busy.status_code == 503 and int(busy.headers["retry-after"]) >= 1
                assert words in unescape(busy.text) and 'hx-trigger="load delay:' in busy.text
        finally:
            gate.set()
        for _ in range(100):  # the computation the pages gave up on finishes and is kept
            if client.get("/healthz").json()["queue"]["waiting"] == 0:
                break
            time.sleep(0.1)
        done = client.get(url.format(lang="en"))
        assert done.status_code == 200 and 'data-widget="feature-hierarchy"' in done.text
        assert client.get("/healthz").json()["queue"]["cached"] >= 1


def test_errors_reach_the_caller_and_free_the_slot():
    service = ModelService("cpu", max_waiting=1)
    for _ in range(3):
        with pytest.raises(ValueError):
            service.run(lambda d: (_ for _ in ()).throw(ValueError("bad")), key="k")
    assert service.status()["waiting"] == 0


def test_cuda_out_of_memory_retries_on_the_cpu():
    service = ModelService("cuda", max_waiting=2)

    def work(device):
        if device == "cuda":
            raise torch.OutOfMemoryError("CUDA out of memory")
        return device

    assert service.run(work) == "cpu"
    assert service.stats["cpu_fallbacks"] == 1


def test_micro_batcher_groups_requests():
    sizes = []

    def run_batch(items):
        sizes.append(len(items))
        return [item * 2 for item in items]

    batcher = MicroBatcher(run_batch, max_batch=16, max_wait=0.05)
    futures = [batcher.submit(i) for i in range(40)]
    assert [f.result(5) for f in futures] == [i * 2 for i in range(40)]
    assert max(sizes) <= 16 and len(sizes) < 40


def test_micro_batcher_passes_errors_to_every_waiter():
    batcher = MicroBatcher(lambda items: 1 / 0, max_batch=4, max_wait=0.01)
    futures = [batcher.submit(i) for i in range(3)]
    for future in futures:
        with pytest.raises(ZeroDivisionError):
            future.result(5)


def test_vgg_table_without_weights_needs_no_queue():
    app = create_app(Settings(device="cpu", queue_size=1))
    gate = threading.Event()
    blocker = threading.Thread(target=app.state.models.run, args=(lambda d: gate.wait(10),))
    blocker.start()
    try:
        time.sleep(0.2)
        with TestClient(app) as client:
            page = client.get("/en/lessons/vgg")
            (url,) = re.findall(r'data-deferred hx-get="([^"]+)" hx-trigger="revealed[^"]*"', page.text)
            table = client.get(unescape(url))
        assert table.status_code == 200 and "stride weights fetch vgg16" in table.text  # the note, at once
    finally:
        gate.set()
        blocker.join(10)


@pytest.mark.parametrize(("slug", "deferred"), [("resnet", 1), ("feature-hierarchy", 2)])
def test_heavy_widgets_wait_for_the_page_and_a_full_queue_answers_503(slug, deferred):
    """Pages never touch the model queue; a widget that would is fetched after them, and a full queue says so."""
    app = create_app(Settings(device="cpu", queue_size=1))
    gate = threading.Event()
    blocker = threading.Thread(target=app.state.models.run, args=(lambda d: gate.wait(10),))
    blocker.start()
    try:
        time.sleep(0.2)  # the queue's one place is taken
        with TestClient(app) as client:
            page = client.get(f"/en/lessons/{slug}")
            assert page.status_code == 200 and "widget-error" not in page.text
            urls = re.findall(r'data-deferred hx-get="([^"]+)" hx-trigger="revealed[^"]*"', page.text)
            assert len(urls) == deferred
            for lang in ("en", "ru"):
                busy = client.get(unescape(urls[0]).replace("/en/", f"/{lang}/", 1))
                assert busy.status_code == 503 and int(busy.headers["retry-after"]) >= 1
                words = {"en": "The server is busy", "ru": "Сервер занят"}[lang]
                assert words in busy.text and 'hx-trigger="load delay:' in busy.text
        gate.set()
        blocker.join(10)
        with TestClient(app) as client:
            assert client.get(unescape(urls[0])).status_code == 200  # the queue drained: the widget renders
    finally:
        gate.set()
