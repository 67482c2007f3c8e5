"""Widget parameters are declared once, in @widget(params=…), with their kind, default and range
(app/web/widgets/params.py); builds read them by name, and a read that repeats or widens the declaration is a bug."""

import pytest

from app.compute.errors import InputError
from app.lessons import LANGUAGES, load_catalog
from app.settings import Settings
from app.web.widgets import EXERCISES, WIDGETS
from app.web.widgets.params import Choice, Int, Matrix, Num, Numbers, Param, Text
from app.web.widgets.registry import WidgetContext, widget

DECLARED = [(name, param, spec) for name, w in sorted(WIDGETS.items()) for param, spec in w.params.items()]


def ctx(state=None, lang="en", **declared) -> WidgetContext:
    return WidgetContext(lang=lang, lesson="l", block_id="b", state=state or {}, hidden=frozenset(), device="cpu",
                         declared=declared)


@pytest.mark.parametrize(("widget_name", "param", "spec"), DECLARED, ids=[f"{w}.{p}" for w, p, _ in DECLARED])
def test_every_declared_default_is_inside_its_own_range(widget_name, param, spec):
    assert isinstance(spec, Param)
    assert spec.problems() == []
    if isinstance(spec, Int | Num) and None not in (spec.low, spec.high):
        assert spec.low <= spec.high
    if isinstance(spec, Choice) and spec.default is not None and spec.options is not None:
        assert spec.default in spec.options


def test_defaults_outside_the_range_are_found():
    assert Int(5, 1, 4).problems() == ["“default” must be between 1 and 4, got 5."]
    assert Choice("min", ("max", "avg")).problems()
    assert Matrix("1 2; 3", 4).problems()
    assert Num(0.5, 0, 1).problems() == [] and Int(None, 1, 4).problems() == []


def test_every_lesson_block_sets_only_declared_parameters_to_values_they_accept():
    catalog = load_catalog(Settings().lessons_dir, WIDGETS, EXERCISES)
    checked = 0
    for lang in LANGUAGES:
        for lesson in catalog.ordered(lang):
            for block in lesson.blocks.values():
                if block.kind != "widget":
                    continue
                declared = WIDGETS[block.name].params
                assert set(block.params) <= set(declared), (lesson.slug, block.id, set(block.params) - set(declared))
                for param, value in block.params.items():
                    spec = declared[param]
                    if None in (getattr(spec, key, 0) for key in ("low", "high", "options")):
                        continue  # its limits depend on other values: checked when the widget renders
                    spec.parse(str(value), param)  # raises InputError for a value the declaration refuses
                    checked += 1
    assert checked > 50


def test_a_read_uses_the_declaration():
    c = ctx({"size": "3"}, size=Int(2, 1, 4), speed=Num(1, 0.25, 4), mode=Choice("max", ("max", "avg")),
            factor=Choice(4, (2, 4)), grid=Matrix("1 2; 3 4", 3), row=Numbers("1 0 -1", 5), text=Text("a b"))
    assert c.value("size") == 3 and c.value("speed") == 1.0 and c.value("mode") == "max"
    assert c.value("factor") == 4  # the option itself, not its text
    assert c.value("grid") == [[1, 2], [3, 4]] and c.value("row") == [1, 0, -1] and c.value("text") == "a b"
    assert c.raw("size") == "3" and c.raw("speed") == "1" and c.default("size") == 2


def test_reading_an_undeclared_parameter_fails():
    with pytest.raises(ValueError, match="not declared"):
        ctx({"other": "1"}, size=Int(2, 1, 4)).value("other")
    with pytest.raises(ValueError, match="not declared"):
        ctx().raw("size")


def test_giving_a_declared_default_again_at_the_read_fails():
    with pytest.raises(ValueError, match="default is declared"):
        ctx(size=Int(2, 1, 4)).value("size", default=3)
    with pytest.raises(ValueError, match="default is declared"):
        ctx(size=Int(2, 1, 4)).raw("size", default=3)


def test_what_the_declaration_leaves_to_code_must_be_given_at_the_read():
    c = ctx({}, stride=Int(None, 1, 4), channel=Int(0, 0, None))
    with pytest.raises(ValueError, match="default left to code"):
        c.value("stride")
    with pytest.raises(ValueError, match="high left to code"):
        c.value("channel")
    assert c.value("stride", default=3) == 3 and c.value("channel", high=7) == 0


def test_a_read_may_narrow_a_range_but_not_widen_it():
    c = ctx({"kernel": "6"}, kernel=Int(3, 1, 10), mode=Choice("max", ("max", "avg")))
    with pytest.raises(InputError) as refused:
        c.value("kernel", high=5)  # a kernel no bigger than a 5-wide input
    assert "must be between 1 and 5, got 6" in refused.value.messages["en"]
    assert refused.value.field == "kernel"
    with pytest.raises(ValueError, match="widens"):
        c.value("kernel", high=11)
    with pytest.raises(ValueError, match="widens"):
        c.value("mode", options=("max", "min"))
    with pytest.raises(ValueError, match="can't be given"):
        c.value("mode", high=3)


@pytest.mark.parametrize(("spec", "text", "en", "ru"), [
    (Int(2, 1, 4), "x", "must be a whole number, got “x”", "нужно целое число, а получено «x»"),
    (Int(2, 1, 4), "9", "must be between 1 and 4, got 9", "нужно значение от 1 до 4, а получено 9"),
    (Num(1, 0.25, 4), "nan", "must be a number between 0.25 and 4", "нужно число от 0.25 до 4"),
    (Choice(4, (2, 4)), "3", "must be one of 2, 4, got “3”", "нужно одно из значений 2, 4, а получено «3»"),
])
def test_refusals_are_translated_and_name_the_field(spec, text, en, ru):
    with pytest.raises(InputError) as refused:
        ctx({"stride": text}, stride=spec).value("stride")
    assert en in refused.value.messages["en"] and ru in refused.value.messages["ru"]
    assert refused.value.field == "stride"


def test_a_blank_default_reads_as_none_until_set():
    c = ctx({"row": "2"}, channel=Int("", 0, 9), row=Int("", 0, 9))
    assert c.value("channel") is None and c.raw("channel") == "" and c.value("row") == 2


def test_parameters_must_be_declared_with_their_kind():
    with pytest.raises(TypeError):
        widget("params-as-names", params=("a", "b"))(lambda c: {})
    with pytest.raises(TypeError):
        widget("params-as-numbers", params={"a": 3})(lambda c: {})
    assert "params-as-names" not in WIDGETS and "params-as-numbers" not in WIDGETS


def test_a_build_reads_through_its_own_declarations():
    """WIDGETS[name].build gives the build a context that knows the widget's parameters, however it was made."""
    bare = WidgetContext(lang="en", lesson="padding-stride", block_id="b", state={"kernel": "5"}, hidden=frozenset(),
                         device="cpu")
    assert WIDGETS["shrink-layers"].build(bare)["kernel"] == 5


def test_a_widgets_own_script_and_its_modules_stylesheet_come_by_name():
    """static/js/{widget}.js and static/css/{module}.css need no naming; scripts=/styles= list only what is borrowed."""
    assert WIDGETS["conv2d"].scripts == ("conv2d.js",)
    assert WIDGETS["ap-builder"].scripts == ("ap-builder.js", "charts.js")
    assert WIDGETS["mabo-proposals"].scripts == ("mabo-boxes.js",)  # boxes.js comes first on the page (assets)
    assert WIDGETS["shrink-layers"].scripts == () and WIDGETS["shrink-layers"].styles == ("padding-pooling.css",)
    assert WIDGETS["separable-cost"].styles == ("vgg-resnet.css",)
