"""The yardstick for `make bench`: the plainest FastAPI + torch endpoint doing the same work as Stride's
/api/conv2d (a dict body, torch.tensor, F.conv2d, .tolist()), served by the same uvicorn settings."""

import torch
import torch.nn.functional as F
from fastapi import Body, FastAPI

app = FastAPI()


@app.post("/api/conv2d")
def conv2d(body: dict = Body()):
    x = torch.tensor(body["input"], dtype=torch.float64)  # (H, W)
    w = torch.tensor(body["kernel"], dtype=torch.float64)  # (kh, kw)
    with torch.inference_mode():
        y = F.conv2d(x[None, None], w[None, None])[0, 0]  # (H - kh + 1, W - kw + 1)
    return {"output": y.tolist(), "shape": list(y.shape)}
