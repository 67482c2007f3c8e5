import warnings

import pytest

warnings.filterwarnings("ignore", message=".*httpx2.*")

from fastapi.testclient import TestClient  # noqa: E402

from app.main import create_app  # noqa: E402
from app.settings import Settings  # noqa: E402


@pytest.fixture(scope="session")
def app():
    return create_app(Settings(device="cpu"))


@pytest.fixture(scope="session")
def client(app):
    with TestClient(app) as test_client:
        yield test_client


def pytest_collection_modifyitems(items):
    """Browser tests run last. Playwright's sync API keeps an event loop marked as running in the main thread for
    as long as the session's browser lives, and an async test (anyio) collected after it could not start its own."""
    items.sort(key=lambda item: "tests/browser/" in item.nodeid or item.nodeid.startswith("browser/"))
