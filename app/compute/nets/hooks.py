"""Forward hooks: what a network's modules see and output during one forward pass, always removed afterwards.

Two recorders, for two questions: `forward_events` lists every watched module's call in order (to build
architecture tables from shapes, on the meta device); `recording` keeps named modules' outputs (to show
activation maps of a real photo).
"""

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import torch
from torch import nn


def inside(name: str, outer: str) -> bool:
    """Whether module `name` lies inside module `outer` (dotted names, as named_modules gives them)."""
    return name.startswith(outer + ".")


@contextmanager
def forward_events(watched: dict[str, nn.Module],
                   record: Callable[[str, nn.Module, tuple, Any], tuple]) -> Iterator[list[tuple]]:
    """Hooks on the watched modules that append record(name, module, inputs, output) per call, in call order."""
    events: list[tuple] = []

    def hook_for(name):
        def hook(module, inputs, output):
            events.append(record(name, module, inputs, output))
        return hook

    handles = []
    try:
        for name, module in watched.items():
            handles.append(module.register_forward_hook(hook_for(name)))
        yield events
    finally:
        for handle in handles:
            handle.remove()


@contextmanager
def recording(model: nn.Module, names) -> Iterator[dict[str, torch.Tensor]]:
    """Forward hooks that keep the output of each named module (detached); always removed.

    Only forward passes run by this thread are recorded: the registry shares one model between
    requests, so another request's forward may run through the same modules meanwhile.
    """
    modules = dict(model.named_modules())
    missing = [n for n in names if n not in modules]
    if missing:
        raise KeyError(f"no modules named {missing}")
    outputs: dict[str, torch.Tensor] = {}
    owner = threading.get_ident()

    def keep(name, module, inputs, output):
        if threading.get_ident() == owner:
            outputs[name] = output.detach()

    with forward_events({name: modules[name] for name in names}, keep):
        yield outputs


def count_parameters(modules) -> tuple[int, int]:
    """(weights, biases) of a module or modules: tensors named *bias are biases, every other parameter a weight."""
    if isinstance(modules, nn.Module):
        modules = [modules]
    weights = biases = 0
    for module in modules:
        for name, parameter in module.named_parameters():
            if name.rsplit(".", 1)[-1] == "bias":
                biases += parameter.numel()
            else:
                weights += parameter.numel()
    return weights, biases
