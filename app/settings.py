"""Settings read from STRIDE_* environment variables."""

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="STRIDE_")

    host: str = "127.0.0.1"
    port: int = 8000
    device: Literal["auto", "cpu", "cuda"] = "auto"
    weights_dir: Path = ROOT / "weights"
    lessons_dir: Path = ROOT / "lessons"
    # Requests whose body is larger than this many bytes are refused with 413.
    max_body_bytes: int = 10 * 1024 * 1024
    # Uploaded images with more pixels than this are refused before decoding (read from the file's header). JPEG is
    # decoded at a reduced scale; every other format is decoded whole and also held to 2**23 pixels (a 4K screen).
    max_image_pixels: int = 40_000_000
    # Slow clients: a request head (line and headers) must arrive within header_timeout seconds, a request body
    # within body_timeout seconds (and no gap between two of its chunks over 15 s), else the connection is
    # closed (408 for a body); idle keep-alive connections close after keep_alive_timeout seconds.
    header_timeout: float = 10.0
    body_timeout: float = 60.0
    keep_alive_timeout: int = 5
    # Worker processes of `stride serve` (each loads its own models and keeps its own bounded queue); more than one
    # needs redis_url, so that live sessions are shared.
    workers: int = 1
    # Heavy model calls waiting per device before new ones get 503.
    queue_size: int = 32
    # Seconds a page fragment (a widget that runs a network) waits for its model work, its own or one it joined;
    # then 503 + Retry-After, and the page asks again (the work goes on, and a sample's result is kept). Under the
    # 15 s a class may wait for a widget (bench/heavy_lessons.py); API calls wait up to the queue's limit (120 s).
    page_wait: float = 12.0
    # CPU threads torch may use for one computation; 0 keeps torch's default (one per core).
    torch_threads: int = 0
    # Live sessions live in this process unless a Redis URL is given (then every replica shares them).
    redis_url: str = ""
    # The address students open, for join links and QR codes; empty: the address the instructor's browser used.
    public_url: str = ""
    live_max_sessions: int = 200
    live_max_followers: int = 2000
    # A state message (PUT /api/live/{code}/state) larger than this many bytes gets 413.
    live_max_state_bytes: int = 4096
    # A session nobody has driven for this many seconds ends (12 hours).
    live_idle_seconds: int = 12 * 3600
    live_state_per_minute: int = 240
    live_joins_per_minute: int = 6000


@lru_cache
def get_settings() -> Settings:
    return Settings()
