"""The lecture's task table as data, and the size of each task's answer counted from a built answer."""

import re

import numpy as np
import pytest

from app.compute.lessons import cv_tasks
from app.compute.nets import registry
from app.compute.errors import InputError
from app.settings import ROOT

LECTURE = (ROOT.parent / "shared" / "lecture" / "cnn-lecture.txt")


def test_the_lecture_rows_in_the_lecture_order():
    rows = [t for t in cv_tasks.TASKS if t.in_lecture_table]
    assert [t.key for t in rows] == ["classification", "localization", "detection", "semantic-segmentation",
                                     "instance-segmentation"]
    blank = [t.key for t in rows if t.lecture_metric is None]
    assert blank == ["instance-segmentation"], "the lecture leaves only this metric cell empty"
    for task in cv_tasks.TASKS:
        assert task.metric["en"] and task.metric["ru"] and task.names["ru"] and task.descriptions["en"]
        assert all(re.fullmatch(r"[a-z0-9-]+", slug) for slug in task.metric_lessons)


@pytest.mark.skipif(not LECTURE.exists(), reason="the lecture text is not beside the project")
def test_quoted_cells_are_verbatim():
    text = LECTURE.read_text(encoding="utf-8")
    for task in cv_tasks.TASKS:
        if task.lecture_metric:
            assert task.lecture_metric["ru"] in text, task.key
        if task.lecture_output:
            assert task.lecture_output["ru"] in text, task.key


def test_models_exist_and_do_the_task():
    for task in cv_tasks.TASKS:
        if task.model is not None:
            assert registry.MODELS[task.model].task == task.key


def built_answer(task, h, w, n, k):
    """An answer of each kind built as Python objects; counting its numbers is the reference."""
    mask = np.zeros((h, w), dtype=np.uint8)
    if task == "classification":
        return [7]
    if task == "localization":
        return [7, 0.0, 0.0, 1.0, 1.0]
    if task == "detection":
        return [[7, 0.0, 0.0, 1.0, 1.0] for _ in range(n)]
    if task == "semantic-segmentation":
        return mask
    if task == "instance-segmentation":
        return [[7, mask.copy()] for _ in range(n)]
    return [[[0.0, 0.0] for _ in range(k)] for _ in range(n)]


def count(answer):
    if isinstance(answer, np.ndarray):
        return answer.size
    if isinstance(answer, list):
        return sum(count(item) for item in answer)
    return 1


@pytest.mark.parametrize("task", [t.key for t in cv_tasks.TASKS])
@pytest.mark.parametrize("h, w, n, k", [(1, 1, 0, 1), (48, 64, 3, 17), (7, 5, 1, 4)])
def test_answer_size_counts_the_numbers(task, h, w, n, k):
    result = cv_tasks.answer_size(task, h, w, n, k)
    assert result["numbers"] == count(built_answer(task, h, w, n, k))
    assert int(np.prod(result["terms"])) == result["numbers"]


@pytest.mark.parametrize("args", [("flying", 4, 4, 1), ("detection", 0, 4, 1), ("detection", 4, 4, -1),
                                  ("detection", 4, 4, 101), ("detection", 4.5, 4, 1), ("detection", True, 4, 1)])
def test_bad_answer_size_requests(args):
    with pytest.raises(InputError):
        cv_tasks.answer_size(*args)
