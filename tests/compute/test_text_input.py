"""The one parser of typed numbers: what it reads, and exactly what it says about what it can't."""

import pytest

from app.compute.text_input import TextInputError, parse_matrix, parse_numbers


@pytest.mark.parametrize("text, expected", [
    ("1 2 3; 4 5 6", [[1, 2, 3], [4, 5, 6]]),
    ("1,2,3\n4,5,6", [[1, 2, 3], [4, 5, 6]]),
    ("1, 2; 3, 4", [[1, 2], [3, 4]]),
    ("0,5 1,5; 2 −3", [[0.5, 1.5], [2, -3]]),
    ("  7 ;; ", [[7]]),
])
def test_reads_matrices(text, expected):
    assert parse_matrix(text, 9) == expected


@pytest.mark.parametrize("text, code, details, en, ru", [
    ("1 2 3; 4 5; 6 7 8", "ragged", {"row": 2, "got": 2, "first": 3},
     "Row 2 has 2 numbers, row 1 has 3", "В строке 2 — 2 числа, а в строке 1 — 3"),
    ("1 a; 2 3", "not_number", {"token": "a", "row": 1}, "'a' in row 1 is not a number", "«a» в строке 1 — не число"),
    ("1 2; 3 x7", "not_number", {"token": "x7", "row": 2}, "'x7' in row 2", "«x7» в строке 2"),
    ("", "empty", {}, "The field is empty", "Поле пустое"),
    ("  ; ", "empty", {}, "The field is empty", "Поле пустое"),
    (";".join(["1 " * 100] * 100), "too_many_rows", {"limit": 9, "got": 100},
     "At most 9 rows, got 100", "Не больше 9 строк, а введено 100"),
    ("1 2 3 4 5 6 7 8 9 10", "too_many_columns", {"limit": 9, "got": 10, "row": 1},
     "At most 9 numbers in a row, row 1 has 10", "в строке 1 их 10"),
    ("1 inf", "not_finite", {"token": "inf", "row": 1}, "'inf' in row 1 is not a finite number", "не конечное"),
])
def test_says_exactly_what_is_wrong(text, code, details, en, ru):
    with pytest.raises(TextInputError) as caught:
        parse_matrix(text, 9)
    assert caught.value.code == code
    assert caught.value.details == details
    assert en in caught.value.message("en")
    assert ru in caught.value.message("ru")
    assert caught.value.status == 422


def test_russian_number_words_agree():
    messages = [TextInputError("ragged", row=2, got=n, first=9).message("ru") for n in (1, 2, 5, 11, 21, 22)]
    assert [m.split(" — ")[1].split(",")[0] for m in messages] == [
        "1 число", "2 числа", "5 чисел", "11 чисел", "21 число", "22 числа"]
    assert "Row 2 has 1 number," in TextInputError("ragged", row=2, got=1, first=3).message("en")


def test_long_tokens_are_cut():
    with pytest.raises(TextInputError) as caught:
        parse_matrix("y" * 5000, 9)
    assert len(caught.value.message("en")) < 120


def test_lists():
    assert parse_numbers("1 2, 3", 5) == [1, 2, 3]
    with pytest.raises(TextInputError) as caught:
        parse_numbers("1 2 3 4 5 6", 5)
    assert (caught.value.code, caught.value.message("en")) == ("too_many_numbers", "At most 5 numbers, got 6.")
    with pytest.raises(TextInputError) as caught:
        parse_numbers("1 2", 4, min_count=4)
    assert caught.value.message("ru") == "Нужно 4 числа, а введено 2."
    with pytest.raises(TextInputError) as caught:
        parse_numbers("1 b", 4)
    assert caught.value.message("en") == "'b' is not a number."
