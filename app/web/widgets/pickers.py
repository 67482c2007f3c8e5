"""Model pickers: which networks a widget offers, which of them can run here, and which one to show first.

A network whose weights are not installed stays in its picker, disabled, with the reason and the
command that fetches them. When the network a lesson or a link asks for is unavailable, the widget
shows the first one that is (EfficientNet-Lite0 comes with the installation), so no first view
waits on a fetch; the disabled option says what the asked one needs.
"""

from app.compute.nets.registry import MODELS, weights_command
from app.web.i18n import translate
from app.web.widgets.registry import WidgetContext

# The ImageNet classifiers, in the order pickers list them; the last one never needs a fetch.
IMAGENET_CLASSIFIERS = ("resnet18", "vgg16", "alexnet", "efficientnet_lite0")
INSTALLED_CLASSIFIER = "efficientnet_lite0"


def installed(ctx: WidgetContext, name: str) -> bool:
    """Whether a model's weights file is there (looked up, not loaded or hashed)."""
    return ctx.weights(name)["present"]


def model_options(ctx: WidgetContext, names) -> list[dict]:
    """One option per model: value, label, available, and for an unavailable one the reason and its command."""
    options = []
    for name in names:
        available = installed(ctx, name)
        command = weights_command(name)
        reason = None if available else translate(ctx.lang, "pick_missing", command=command)
        options.append({"value": name, "label": MODELS[name].title, "available": available, "reason": reason,
                        "command": command})
    return options


def pick_model(ctx: WidgetContext, param: str = "model") -> dict:
    """The model to show: the one asked for (parameter `param`, a Choice of model names) when it can run, else the
    declared default when it can, else the first that can.

    Returns {"model", "title", "options", "asked"}. With nothing available, the asked model is returned as
    it is, so that the widget shows its own note on the missing weights.
    """
    spec = ctx.spec(param)
    names, default = spec.options, spec.default
    asked = ctx.value(param)
    options = model_options(ctx, names)
    by_name = {option["value"]: option for option in options}
    available = [option["value"] for option in options if option["available"]]
    if by_name[asked]["available"] or not available:
        model = asked
    else:
        model = default if default in available else available[0]
    return {"model": model, "title": MODELS[model].title, "options": options, "asked": asked}


def imagenet_classifier(ctx: WidgetContext, preferred: str = "resnet18") -> str:
    """`preferred` when its weights are installed, else the classifier that comes with the installation."""
    if installed(ctx, preferred) or not installed(ctx, INSTALLED_CLASSIFIER):
        return preferred
    return INSTALLED_CLASSIFIER


def missing_note(pick: dict) -> dict | None:
    """For widgets/_weights_missing.html: the picked model's missing weights and their command; None when it runs."""
    option = next(o for o in pick["options"] if o["value"] == pick["model"])
    if option["available"]:
        return None
    return {"name": pick["model"], "model": pick["title"], "command": option["command"], "damaged": False,
            "reason": "missing"}
