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
