"""Checking answers as a student types them (issue 14, item 8): two numbers where one is expected can't be read,
an empty answer says so (replacing an earlier message), and a right answer given with this variant's worked
solution open is marked as solved with the solution."""

import pytest

from app.web.widgets import EXERCISES
from app.web.widgets.registry import Question, check_answer, make_question

URL = "/{lang}/lessons/convolution/exercises/cell"


def _answer(seed: int) -> str:
    return f"{make_question(EXERCISES['conv-cell'], seed, 'en', {}).answer:g}"


def test_two_numbers_are_not_one():
    q = Question(prompt="", answer=710, kind="integer", hint="", solution="")
    assert check_answer(q, "7 10") is None and check_answer(q, "7 10 000") is None
    assert check_answer(q, "710") and check_answer(q, " 710 ")
    assert check_answer(Question(prompt="", answer=7010, kind="integer", hint="", solution=""), "7 010")


@pytest.mark.parametrize("lang, text", [("en", "one number is expected"), ("ru", "нужно одно число")])
def test_two_numbers_get_couldnt_read(client, lang, text):
    response = client.post(URL.format(lang=lang) + "/check", data={"seed": "3", "answer": "7 10"})
    assert response.status_code == 422 and text in response.text and "incorrect" not in response.text


@pytest.mark.parametrize("lang, text", [("en", "The answer is empty"), ("ru", "Ответ пустой")])
def test_an_empty_answer_says_so(client, lang, text):
    for answer in ("", "   "):
        response = client.post(URL.format(lang=lang) + "/check", data={"seed": "3", "answer": answer})
        assert response.status_code == 422 and text in response.text


@pytest.mark.parametrize("lang, text", [("en", "solved with the worked solution open"),
                                        ("ru", "решено с открытым разбором")])
def test_solved_with_the_solution(client, lang, text):
    help_ = client.get(URL.format(lang=lang) + "/help", params={"seed": 3, "show": "solution"})
    assert 'name="revealed" value="3"' in help_.text and 'hx-swap-oob="true"' in help_.text
    right = {"seed": "3", "answer": _answer(3)}
    with_solution = client.post(URL.format(lang=lang) + "/check", data={**right, "revealed": "3"})
    assert text in with_solution.text and "data-with-solution" in with_solution.text
    alone = client.post(URL.format(lang=lang) + "/check", data=right)
    assert "data-solved=" in alone.text and "data-with-solution" not in alone.text
    other_variant = client.post(URL.format(lang=lang) + "/check", data={**right, "revealed": "4"})
    assert "data-with-solution" not in other_variant.text
    page = client.get(URL.format(lang=lang).rsplit("/exercises", 1)[0])
    assert 'id="x-cell-revealed"' in page.text
