"""The live-session API, status by status, with the messages people read (English and Russian)."""

import json
import re

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from app.web.widgets import EXERCISES
from app.web.widgets.registry import make_question
from bench.live_followers import free_port
from tests.web.test_exercises import right_answer, wrong_answer

STATE = {"lesson": "convolution", "lang": "en", "slide": 3, "query": "numbers.stride=2"}
RU = {"accept-language": "ru"}


def make_client(store: str = "", **settings):
    return TestClient(create_app(Settings(device="cpu", redis_url=store, **settings)))


@pytest.fixture
def client(store):
    with make_client(store) as client:
        yield client


def start(client, lesson="convolution", lang="en"):
    response = client.post("/api/live", json={"lesson": lesson, "lang": lang})
    assert response.status_code == 201, response.text
    body = response.json()
    return body["code"], {"authorization": f"Bearer {body['presenter_key']}"}


def events(client, code, count, headers=None):
    """The first `count` events of the stream as (event, id, data)."""
    found = []
    with client.stream("GET", f"/api/live/{code}/events", headers=headers or {}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        fields = {}
        for line in response.iter_lines():
            if line.startswith(":"):
                continue
            if line:
                name, _, value = line.partition(": ")
                fields[name] = value
                continue
            found.append((fields["event"], int(fields["id"]), json.loads(fields["data"])))
            fields = {}
            if len(found) == count:
                return found
    return found


def test_create_201(client):
    response = client.post("/api/live", json={"lesson": "convolution", "lang": "ru"})
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"code", "presenter_key", "join_url"}
    assert re.fullmatch(r"[A-Z0-9]{6}", body["code"])
    assert body["join_url"] == f"http://testserver/live/{body['code']}"


def test_public_url_makes_the_join_url():
    with make_client(public_url="https://stride.example.edu/") as client:
        body = client.post("/api/live", json={"lesson": "convolution", "lang": "en"}).json()
    assert body["join_url"] == f"https://stride.example.edu/live/{body['code']}"


@pytest.mark.parametrize("body, reason", [
    ({"lesson": "no-such-lesson", "lang": "en"}, "There is no lesson “no-such-lesson” in that language."),
    ({"lesson": "convolution", "lang": "fr"}, "lang: Input should be 'en' or 'ru'"),
    ({"lesson": "convolution"}, "lang: Field required"),
    ({"lesson": "convolution", "lang": "en", "presenter": "me"}, "presenter: Extra inputs are not permitted"),
])
def test_create_422(client, body, reason):
    response = client.post("/api/live", json=body)
    assert response.status_code == 422
    assert reason in response.json()["detail"]


def test_create_422_not_json_in_russian(client):
    response = client.post("/api/live", content=b"{lesson", headers={**RU, "content-type": "application/json"})
    assert response.status_code == 422
    assert response.json()["detail"].startswith("Тело запроса не подходит для этого адреса: body: Invalid JSON")


def test_create_409_too_many_sessions():
    with make_client(live_max_sessions=1) as client:
        start(client)
        response = client.post("/api/live", json={"lesson": "convolution", "lang": "en"}, headers=RU)
    assert response.status_code == 409
    assert response.json()["detail"] == ("На сервере уже идёт предельное число трансляций (1). "
                                         "Завершите одну из них или попробуйте позже.")


def test_413_too_large(client):
    code, auth = start(client)
    big = {**STATE, "query": "a=" + "x" * 5000}
    response = client.put(f"/api/live/{code}/state", json=big, headers=auth)
    assert response.status_code == 413
    assert response.json()["detail"] == "A live-session message may be at most 4096 bytes."


def test_put_state_204_reaches_followers(client):
    code, auth = start(client)
    response = client.put(f"/api/live/{code}/state", json=STATE, headers=auth)
    assert response.status_code == 204 and response.content == b""
    [(kind, _, data)] = events(client, code, 1)
    assert (kind, data) == ("state", STATE)


def test_put_state_403(client):
    code, _ = start(client)
    wrong = client.put(f"/api/live/{code}/state", json=STATE, headers={"authorization": "Bearer guess"})
    missing = client.put(f"/api/live/{code}/state", json=STATE, headers=RU)
    assert (wrong.status_code, missing.status_code) == (403, 403)
    assert wrong.json()["detail"] == "This presenter key does not open this session."
    assert missing.json()["detail"] == "Этот ключ ведущего не подходит к этой трансляции."


@pytest.mark.parametrize("code", ["AAAAAA", "nope", "0O1IL2"])
def test_put_state_404(client, code):
    response = client.put(f"/api/live/{code}/state", json=STATE, headers={"authorization": "Bearer x"})
    assert response.status_code == 404
    assert response.json()["detail"] == (f"No live session has the code {code}: check the code; "
                                         "the session may have ended.")


@pytest.mark.parametrize("body, reason", [
    ({**STATE, "slide": 0}, "slide: Input should be greater than or equal to 1"),
    ({**STATE, "slide": "3"}, "slide: Input should be a valid integer"),
    ({**STATE, "query": "a=1#top"}, "query: String should match pattern"),
    ({k: v for k, v in STATE.items() if k != "query"}, "query: Field required"),
    ({**STATE, "lesson": "nope"}, "There is no lesson “nope” in that language."),
    ([1, 2], "Input should be an object"),
])
def test_put_state_422(client, body, reason):
    code, auth = start(client)
    response = client.put(f"/api/live/{code}/state", json=body, headers=auth)
    assert response.status_code == 422
    assert reason in response.json()["detail"]


def test_put_state_422_deeply_nested_json_is_not_a_500(client):
    code, auth = start(client)
    response = client.put(f"/api/live/{code}/state", content=b"[" * 2000 + b"]" * 2000,
                          headers={**auth, "content-type": "application/json"})
    assert response.status_code == 422
    russian = client.put(f"/api/live/{code}/state", content=b"[" * 3000, headers={**auth, **RU})
    assert russian.status_code == 422 and russian.json()["detail"].startswith("Тело запроса не подходит")


def test_put_state_429_with_retry_after(store):
    with make_client(store, live_state_per_minute=12) as client:  # two per 10-second window
        code, auth = start(client)
        statuses = [client.put(f"/api/live/{code}/state", json={**STATE, "slide": n}, headers=auth)
                    for n in range(1, 6)]
    refused = [r for r in statuses if r.status_code == 429]
    assert refused and all(r.status_code in (204, 429) for r in statuses)
    assert 1 <= int(refused[0].headers["retry-after"]) <= 10
    assert refused[0].json()["detail"] == "Too many requests for this session at once; try again in a few seconds."


def test_events_404_409_429(store):
    with make_client(store, live_max_followers=1, live_joins_per_minute=12) as client:
        assert client.get("/api/live/AAAAAA/events").status_code == 404
        code, _ = start(client)
        with client.stream("GET", f"/api/live/{code}/events") as first:
            assert first.status_code == 200
            next(first.iter_lines())
            full = client.get(f"/api/live/{code}/events", headers=RU)
            assert full.status_code == 409
            assert full.json()["detail"] == "К этой трансляции уже подключилось предельное число слушателей (1)."
        statuses = []
        for _ in range(3):
            with client.stream("GET", f"/api/live/{code}/events") as response:
                statuses.append(response.status_code)
                if response.status_code == 429:
                    assert int(response.headers["retry-after"]) >= 1
    assert 429 in statuses


def test_last_event_id_resumes(client):
    code, auth = start(client)
    [(_, first_id, _)] = events(client, code, 1)
    client.put(f"/api/live/{code}/state", json=STATE, headers=auth)
    [(kind, resumed_id, data)] = events(client, code, 1, headers={"last-event-id": str(first_id)})
    assert (kind, data) == ("state", STATE) and resumed_id == first_id + 1


def check(client, lesson, block, name, seed, correct, **kwargs):
    question = make_question(EXERCISES[name], seed, "en", {})
    answer = right_answer(question) if correct else wrong_answer(question)
    response = client.post(f"/en/lessons/{lesson}/exercises/{block}/check",
                           data={"seed": str(seed), "answer": answer, **kwargs.pop("data", {})}, **kwargs)
    assert response.status_code == 200


def exercise_of(client, lesson):
    found = client.app.state.catalog.get("en", lesson)
    return next((b.id, b.name) for b in found.blocks.values() if b.kind == "exercise")


def test_answers_counted_from_form_field_and_cookie(client):
    code, auth = start(client)
    block, name = exercise_of(client, "convolution")
    check(client, "convolution", block, name, 3, True, data={"live": code.lower()})
    check(client, "convolution", block, name, 4, False, data={"live": code})
    client.cookies.set("stride_live", code)
    check(client, "convolution", block, name, 5, True)
    client.cookies.clear()
    check(client, "convolution", block, name, 6, True)  # outside the session: not counted
    response = client.get(f"/api/live/{code}/answers", headers=auth)
    assert response.status_code == 200
    assert response.json() == {"exercises": [{"lesson": "convolution", "id": block, "answered": 3, "correct": 2}],
                               "followers": 0}


def test_answers_403_404(client):
    code, _ = start(client)
    assert client.get(f"/api/live/{code}/answers", headers={"authorization": "Bearer no"}).status_code == 403
    assert client.get("/api/live/AAAAAA/answers", headers={"authorization": "Bearer no"}).status_code == 404


def test_delete_ends_the_session(client):
    code, auth = start(client)
    client.put(f"/api/live/{code}/state", json=STATE, headers=auth)
    assert client.delete(f"/api/live/{code}", headers={"authorization": "Bearer no"}).status_code == 403
    assert client.delete(f"/api/live/{code}", headers=auth).status_code == 204
    assert client.delete(f"/api/live/{code}", headers=auth).status_code == 404
    assert client.put(f"/api/live/{code}/state", json=STATE, headers=auth).status_code == 404
    assert client.get(f"/api/live/{code}/events").status_code == 404
    page = client.get(f"/live/{code}", headers={"accept": "text/html", **RU})
    assert page.status_code == 404
    assert f"Трансляции с кодом {code} нет" in page.text


def test_join_page_sets_the_cookie_and_never_shows_the_key(client):
    response = client.post("/api/live", json={"lesson": "convolution", "lang": "en"})
    code, key = response.json()["code"], response.json()["presenter_key"]
    page = client.get(f"/live/{code.lower()}", headers={"accept-language": "ru"})
    assert page.status_code == 200
    assert key not in page.text
    assert f"Трансляция {code}" in page.text and "Следовать за преподавателем" in page.text
    assert re.search(rf"stride_live={code};.*HttpOnly.*SameSite=lax", page.headers["set-cookie"], re.I)
    assert f'data-events="/api/live/{code}/events"' in page.text
    qr = client.get(f"/live/{code}/qr.svg")
    assert qr.status_code == 200 and qr.headers["content-type"] == "image/svg+xml"
    assert qr.text.startswith("<svg") and key not in qr.text
    assert client.get("/live/AAAAAA/qr.svg").status_code == 404


def test_outline_field_redirects_relatively(client):
    response = client.get("/live", params={"code": " xw4-kfr "}, headers={"host": "evil.example"},
                          follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/live/XW4KFR"
    outline = client.get("/en/")
    assert 'action="/live"' in outline.text and "Join a live session" in outline.text


def test_openapi_documents_every_live_status(client):
    paths = client.get("/openapi.json").json()["paths"]
    documented = {
        ("/api/live", "post"): {"201", "409", "413", "422"},
        ("/api/live/{code}/state", "put"): {"204", "403", "404", "413", "422", "429"},
        ("/api/live/{code}/answers", "get"): {"200", "403", "404"},
        ("/api/live/{code}", "delete"): {"204", "403", "404"},
        ("/api/live/{code}/events", "get"): {"200", "404", "409", "429"},
    }
    for (path, method), statuses in documented.items():
        operation = paths[path][method]
        assert statuses <= set(operation["responses"]), (path, method)
    put = paths["/api/live/{code}/state"]["put"]
    assert put["requestBody"]["content"]["application/json"]["schema"]["properties"]["slide"]["minimum"] == 1


def test_503_with_retry_after_when_redis_is_away():
    with make_client(f"redis://127.0.0.1:{free_port()}/0") as client:
        response = client.post("/api/live", json={"lesson": "convolution", "lang": "en"}, headers=RU)
        assert response.status_code == 503 and response.headers["retry-after"] == "5"
        assert response.json()["detail"].startswith("Трансляции ненадолго недоступны")
        # An exercise check still answers; it just can't be counted.
        block, name = exercise_of(client, "convolution")
        check(client, "convolution", block, name, 3, True, data={"live": "ACDEFG"})


@pytest.mark.parametrize("slug", ["convolution", "pooling", "padding-stride"])
def test_page_view_anchors_follow_the_slides(slug):
    """Slide N of the slides and the page view's anchor N name the same section."""
    from app.live.routes import slide_anchors

    with make_client() as client:
        html = client.get(f"/en/lessons/{slug}/present").text
        lesson = client.app.state.catalog.get("en", slug)
    slides = re.findall(r'<section class="slide[^"]*"[^>]*>', html)
    sections = [(re.search(r'data-section="([^"]+)"', tag) or [None, ""])[1] for tag in slides]
    anchors = slide_anchors(lesson)
    assert len(anchors) == len(slides)
    assert anchors[1:-1] == sections[1:-1] and anchors[0] == "" and anchors[-1] == "~end"
