"""Widget of the ResNet lesson's section on EfficientNet-Lite0: a depthwise separable conv against a standard one
of the same shape, and the whole network against AlexNet — every number computed by app.compute.nets.separable."""

from app.compute.nets import separable
from app.web.format import decimal, grouped
from app.web.widgets.params import Int
from app.web.widgets.registry import WidgetContext, widget


def _formulas(cost: dict, lang: str) -> dict:
    """The counts written out the way the lesson explains them, with the computed totals."""
    k, c_in, c_out, side = cost["kernel"], cost["c_in"], cost["c_out"], cost["side"]
    g = lambda value: grouped(value, lang)  # noqa: E731
    positions = side * side
    return {
        "standard_params": f"{k}·{k}·{c_in}·{c_out} = {g(cost['standard']['params'])}",
        "separable_params": (f"{k}·{k}·{c_in} + {c_in}·{c_out} = {g(cost['depthwise']['params'])} + "
                             f"{g(cost['pointwise']['params'])} = {g(cost['separable']['params'])}"),
        "standard_macs": f"{side}·{side}·{g(cost['standard']['params'])} = {g(cost['standard']['macs'])}",
        "separable_macs": f"{side}·{side}·{g(cost['separable']['params'])} = {g(cost['separable']['macs'])}",
        "positions": g(positions),
        "share": f"1/{c_out} + 1/{k * k} = {decimal(1 / c_out + 1 / (k * k), lang, 4)}",
    }


@widget("separable-cost", params={
    "c_in": Int(128, 1, separable.MAX_CHANNELS), "c_out": Int(128, 1, separable.MAX_CHANNELS),
    "kernel": Int(3, 1, separable.MAX_KERNEL), "side": Int(56, 1, separable.MAX_SIDE),
}, styles=("vgg-resnet.css",))
def build_separable_cost(ctx: WidgetContext) -> dict:
    lang = ctx.lang
    c_in, c_out, kernel, side = ctx.values("c_in", "c_out", "kernel", "side")
    cost = separable.separable_cost(c_in, c_out, kernel, side)
    networks = separable.network_comparison()
    alexnet, lite = networks["alexnet"], networks["efficientnet"]
    split = networks["split"]
    return {
        "c_in": c_in, "c_out": c_out, "kernel": kernel, "side": side, "kernels": [(k, f"{k}×{k}") for k in (1, 3, 5, 7)],
        "cost": cost, "formulas": _formulas(cost, lang), "ratio": decimal(cost["ratio"]["macs"], lang, 2),
        "inverse_ratio": decimal(1 / cost["ratio"]["macs"], lang, 2), "cheaper": cost["ratio"]["macs"] > 1,
        "alexnet": alexnet, "lite": lite,
        "params_ratio": decimal(networks["params_ratio"], lang, 1), "macs_ratio": decimal(networks["macs_ratio"], lang, 2),
        "alexnet_fc_share": alexnet["fc_params"] / alexnet["params"],
        "pointwise_macs_share": split["pointwise"]["macs"] / lite["macs"],
        "depthwise_macs_share": split["depthwise"]["macs"] / lite["macs"],
        "depthwise_params_share": split["depthwise"]["params"] / lite["params"],
        "top1": {name: decimal(row["top1"], lang, 1) for name, row in (("alexnet", alexnet), ("lite", lite))},
    }
