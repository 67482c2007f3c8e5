"""Receptive fields: how much of the input one output value sees, through a chain of conv and pool layers.

`receptive_fields` follows any chain (kernel, stride, padding per layer: size, jump, start); the stacked
k×k convs of VGG have a closed form (1 + n·(k − 1)) and a picture (the ring each layer adds). A network's
fields along its main path are in app.compute.nets.feature_maps.receptive_fields, which uses this chain.
"""

import math

from app.compute.arrays import to_int
from app.compute.errors import InputError

MAX_STACK = 64


def receptive_fields(layers) -> list[dict]:
    """Where each layer's output pixels look in the input, for a chain of square layers.

    layers: [{"kernel", "stride", "padding"}, …] (a ReLU is {"kernel": 1, "stride": 1, "padding": 0}).
    Output pixel i of layer n sees input rows start + i·jump … start + i·jump + size − 1 (the same for
    columns); rows below 0 or past the input are padding. Near the border, where an inner layer reads its own
    zero padding, the pixel depends on fewer input pixels than this box. Returns one {"size", "jump", "start"}
    per layer.
    """
    size, jump, start = 1, 1, 0
    fields = []
    for layer in layers:
        kernel, stride, padding = int(layer["kernel"]), int(layer["stride"]), int(layer["padding"])
        size += (kernel - 1) * jump
        start -= padding * jump
        jump *= stride
        fields.append({"size": size, "jump": jump, "start": start})
    return fields


def check_stack(layers, kernel) -> tuple[int, int]:
    layers = to_int(layers, "layers", 1, MAX_STACK)
    kernel = to_int(kernel, "kernel", 1, 15)
    if kernel % 2 == 0:
        raise InputError(en=f"kernel must be odd, got {kernel}.", ru=f"kernel должно быть нечётным, а получено {kernel}.")
    return layers, kernel


def stacked_receptive_field(layers: int, kernel: int = 3) -> int:
    """Input pixels (per side) that one output of `layers` stacked k×k convs at stride 1 sees: 1 + layers·(k − 1)."""
    layers, kernel = check_stack(layers, kernel)
    return 1 + layers * (kernel - 1)


def receptive_field_rings(layers: int, kernel: int = 3) -> list[list[int]]:
    """The input patch one output of `layers` stacked k×k convs sees: for each pixel, the first layer that reaches it.

    Layer 1 sees the central k×k; each further layer adds a ring of (k − 1)/2 pixels on every side.
    """
    layers, kernel = check_stack(layers, kernel)
    if kernel == 1:
        return [[1]]
    field = stacked_receptive_field(layers, kernel)
    centre, step = field // 2, (kernel - 1) // 2
    return [[max(1, math.ceil(max(abs(i - centre), abs(j - centre)) / step)) for j in range(field)]
            for i in range(field)]
