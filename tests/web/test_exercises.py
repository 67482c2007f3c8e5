"""Every registered exercise: questions for many seeds in both languages, checked by the generic checker."""

import pytest

from app.web.widgets import EXERCISES
from app.web.widgets.registry import Question, check_answer, make_question


def right_answer(question: Question) -> str:
    if question.kind == "shape":
        return "x".join(str(v) for v in question.answer)
    return str(question.answer)


def wrong_answer(question: Question) -> str:
    if question.kind == "shape":
        return "x".join(str(v + 1) for v in question.answer)
    if question.kind == "choice":
        return next(key for key, _ in question.choices if key != question.answer)
    return str(float(question.answer) + max(1.0, abs(float(question.answer)) * 0.01))


@pytest.mark.parametrize("name", sorted(EXERCISES))
@pytest.mark.parametrize("lang", ["en", "ru"])
def test_exercise_answers_check(name, lang):
    for seed in range(25):
        question = make_question(EXERCISES[name], seed, lang, {})
        assert question.prompt and question.hint and question.solution
        assert check_answer(question, right_answer(question)) is True, (name, seed)
        assert check_answer(question, wrong_answer(question)) is False, (name, seed)
        if question.kind == "choice":
            assert len({key for key, _ in question.choices}) == len(question.choices) >= 2


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_same_seed_same_question(name):
    a = make_question(EXERCISES[name], 7, "en", {})
    b = make_question(EXERCISES[name], 7, "en", {})
    assert (a.prompt, a.answer) == (b.prompt, b.answer)


def test_seeds_vary_the_numbers():
    prompts = {make_question(EXERCISES["conv-cell"], seed, "en", {}).prompt for seed in range(10)}
    assert len(prompts) > 5


def test_checker_reads_answers_people_write():
    q = Question(prompt="", answer=12.5, kind="number", hint="", solution="")
    assert check_answer(q, " 12,5 ") and check_answer(q, "12.50") and not check_answer(q, "12")
    assert check_answer(q, "twelve") is None
    shape = Question(prompt="", answer=(28, 28, 6), kind="shape", hint="", solution="")
    for text in ("28x28x6", "28×28×6", "28 × 28 × 6", "(28, 28, 6)", "28х28х6"):
        assert check_answer(shape, text), text
    assert check_answer(shape, "28x28") is False
    assert check_answer(shape, "big") is None
    count = Question(prompt="", answer=3211264, kind="integer", hint="", solution="")
    for text in ("3211264", "3,211,264", "3 211 264", "3\u202f211\u202f264"):
        assert check_answer(count, text), text
    assert check_answer(count, "3,211,265") is False
    assert check_answer(Question(prompt="", answer=1.5, kind="number", hint="", solution=""), "1,500")
    negative = Question(prompt="", answer=-3, kind="number", hint="", solution="")
    assert check_answer(negative, "\u22123")
