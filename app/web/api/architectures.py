"""GET /api/architectures/{name}: a network's layer table, computed by running the real module."""

from fastapi import APIRouter

from app.compute.nets import architectures

router = APIRouter(prefix="/api", tags=["api"])


@router.get("/architectures/{name}", name="read_architecture")
def read_architecture(name: str) -> dict:
    """Layer-by-layer shapes, memory, parameters and multiply-adds, computed by running the real module."""
    return architectures.architecture_table(name)
