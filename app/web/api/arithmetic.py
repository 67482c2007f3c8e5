"""GET /api/conv-arithmetic: a conv layer's output size and parameters, with the formula's numbers substituted."""

from typing import Annotated

from fastapi import APIRouter, Query, Request

from app.compute.ops import arithmetic
from app.web.i18n import pick_language

router = APIRouter(prefix="/api", tags=["api"])


@router.get("/conv-arithmetic", name="compute_conv_arithmetic", description=arithmetic.ArithmeticLimits.__doc__)
def compute_conv_arithmetic(
    request: Request,
    input: Annotated[int, Query(description="input width W")],
    kernel: Annotated[int, Query(description="filter size F")],
    stride: Annotated[int, Query(description="stride S")] = 1,
    padding: Annotated[int, Query(description="zero padding P")] = 0,
    dilation: Annotated[int, Query(description="dilation D")] = 1,
    in_channels: Annotated[int, Query(description="input depth D1")] = 1,
    filters: Annotated[int, Query(description="number of filters K")] = 1,
) -> dict:
    """W2 = (W − F + 2P)/S + 1 with the numbers substituted, whether it is valid, and the layer's parameters."""
    result = arithmetic.conv_arithmetic(input, kernel, stride, padding, dilation, in_channels, filters)
    lang = pick_language(request.headers.get("accept-language"))
    return {**result, "reason": result["reason"][lang], "reasons": result["reason"]}
