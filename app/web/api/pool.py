"""POST /api/pool2d: max and average pooling on numbers a script sends."""

from typing import Annotated, Any

from fastapi import APIRouter, Body
from pydantic import BaseModel, Field

from app.compute.ops import pool
from app.web.api.conv import Numbers
from app.web.api.deps import ModelsDep

router = APIRouter(prefix="/api", tags=["api"])


class Pool2dRequest(BaseModel):
    input: Numbers = Field(description="H×W or C×H×W numbers; each channel is pooled on its own")
    mode: Any = Field(default="max", description='"max" or "avg"')
    size: Any = Field(default=2, description="n or [h, w]")
    stride: Any = Field(default=None, description="n or [h, w]; default: the window size")
    padding: Any = Field(default=0, description="n (at most half the window)")


@router.post("/pool2d", name="pool", description=pool.PoolLimits.__doc__)
def pool_(service: ModelsDep, body: Annotated[Pool2dRequest, Body()]) -> dict:
    """Max or average pooling, as torch.nn.functional.max_pool2d / avg_pool2d; `argmax` for max pooling."""
    def work(device: str) -> dict:  # checked and run in the device's bounded queue (503 + Retry-After when full)
        return pool.pool2d_request(body.input, body.mode, body.size, body.stride, body.padding, device=device)

    return service.run(work)
