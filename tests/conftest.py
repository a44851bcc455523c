from __future__ import annotations

import itertools

import pytest

from engine.matcher import MatchingEngine, create_crypto_engine
from engine.sequencing import IdSource


class StepClock:
    """A deterministic clock: each call is one microsecond later."""

    def __init__(self, start_ns: int = 1_700_000_000_000_000_000) -> None:
        self._next = itertools.count(start_ns, 1_000)

    def __call__(self) -> int:
        return next(self._next)


def check_all(engine: MatchingEngine) -> None:
    """Every market's invariants: books, client-id indexes, history (see Market.check_invariants)."""
    engine.check_invariants()


@pytest.fixture
def engine() -> MatchingEngine:
    return create_crypto_engine(ids=IdSource(), clock=StepClock())


# ---- API fixtures --------------------------------------------------------------

@pytest.fixture
def app():  # type: ignore[no-untyped-def]
    from api import create_app

    application = create_app({"ASYNC_MODE": "threading", "FEED_ENABLED": False, "LOG_LEVEL": "WARNING"},
                             engine=create_crypto_engine(ids=IdSource(), clock=StepClock()))
    yield application
    application.extensions["me_feed"].stop()


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    """A test client signed in as the first demo account (its key on every request)."""
    test_client = app.test_client()
    test_client.environ_base["HTTP_X_API_KEY"] = demo_key(app)
    return test_client


def demo_key(app, index: int = 0) -> str:  # type: ignore[no-untyped-def]
    """The key of a demo account of an in-process app (created on its fresh start)."""
    return app.extensions["me_demo_keys"][index]["api_key"]
