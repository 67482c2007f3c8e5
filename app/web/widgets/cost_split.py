"""Widget of the `resnet` lesson: where ResNet-18 saves against VGG-16, parameters and multiply-adds per
resolution, computed from the layer tables of the real modules (app.compute.nets.cost_split)."""

from app.compute.nets import cost_split
from app.web.format import decimal, grouped, percent
from app.web.widgets.registry import WidgetContext, widget


@widget("resnet-savings", styles=("vgg-resnet.css",))
def build_resnet_savings(ctx: WidgetContext) -> dict:
    lang = ctx.lang
    c = cost_split.compare("resnet18", "vgg16")
    rows = [{
        "group": r["group"], "fc": r["group"] == cost_split.FC,
        "costly_params": grouped(r["costly_params"], lang), "cheap_params": grouped(r["cheap_params"], lang),
        "costly_macs": grouped(r["costly_macs"], lang), "cheap_macs": grouped(r["cheap_macs"], lang),
        "params_share": percent(r["params_share"], lang), "macs_share": percent(r["macs_share"], lang),
        "cheap_layers": ", ".join(r["cheap_layers"]) or "—",
    } for r in c["rows"]]
    fc, above, totals = c["fc"], c["above"], c["totals"]
    return {
        "rows": rows, "totals": {key: grouped(value, lang) for key, value in totals.items()},
        "whole": percent(1, lang, 0),
        "fc_params": grouped(fc["costly_params"], lang), "fc_params_share": percent(fc["params_share"], lang),
        "fc_macs_m": grouped(fc["costly_macs"] / 1e6, lang), "fc_macs_share": percent(fc["macs_share"], lang),
        "costly_gmacs": decimal(totals["costly_macs"] / 1e9, lang, 2),
        "above_sides": " + ".join(str(s) for s in above["sides"]), "above_share": percent(above["macs_share"], lang),
        "above_gmacs": decimal(above["costly_macs"] / 1e9, lang, 2), "first_block": c["first_block_side"],
        "rest_share": percent(1 - above["macs_share"] - fc["macs_share"], lang),
    }
