"""The JSON API: the same computations the widgets use, for scripts and tests (documented at /docs)."""

from typing import Annotated, Any

from fastapi import APIRouter, Body
from pydantic import BaseModel, Field

from app.compute import conv

router = APIRouter(prefix="/api", tags=["api"])

Numbers = Any  # nested lists of numbers; shape and values are checked by app.compute
IntOrPair = int | list[int]


class Conv2dRequest(BaseModel):
    input: Numbers = Field(description="H×W or C×H×W numbers")
    kernel: Numbers = Field(description="kh×kw or K×C×kh×kw numbers")
    bias: Numbers | None = Field(default=None, description="K numbers")
    stride: Any = Field(default=1, description="n or [sh, sw], at least 1")
    padding: Any = Field(default=0, description="n or [ph, pw], at least 0 (zeros)")
    dilation: Any = Field(default=1, description="n or [dh, dw], at least 1")


@router.post("/conv2d", name="convolve", description=conv.ConvLimits.__doc__ or "")
def convolve(request: Annotated[Conv2dRequest, Body()]) -> dict:
    """Cross-correlation with zero padding, as torch.nn.functional.conv2d."""
    return conv.conv2d_request(
        request.input, request.kernel, request.bias, request.stride, request.padding, request.dilation
    )
