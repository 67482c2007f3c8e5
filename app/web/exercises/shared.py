"""Pieces several lessons' exercises build the same way (no exercises of its own)."""

from app.web.format import grouped
from app.web.i18n import translate
from app.web.widgets.registry import Question


def conv_params_solution(kernel: int, c_in: int, filters: int, counts: dict, with_biases: bool, lang: str) -> str:
    """(F·F·D)·K = the weights, then + K = the parameters when the biases count."""
    solution = f"({kernel}·{kernel}·{c_in})·{filters} = {grouped(counts['weights'], lang)}"
    if with_biases:
        solution += f"; + {filters} = {grouped(counts['params'], lang)}"
    return solution


def layer_params_question(lang: str, name: str, what: str, answer: int, solution: str) -> Question:
    """“How many parameters has {what}?” with the exercise's own text and hint keys (ex_<name>_text, ex_<name>_hint)."""
    return Question(prompt=translate(lang, f"ex_{name}_text", what=what), answer=answer, kind="integer", tolerance=0,
                    hint=translate(lang, f"ex_{name}_hint"), solution=solution)
