"""Which torch device computations run on."""

import torch


def resolve_device(choice: str) -> str:
    """'auto' picks CUDA when a GPU is usable, else the CPU; 'cuda' without a GPU falls back to the CPU."""
    if choice in ("auto", "cuda") and torch.cuda.is_available():
        return "cuda"
    return "cpu"
