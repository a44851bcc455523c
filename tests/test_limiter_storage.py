"""The rate limiter's counters: fixed windows that expire when read, swept once a second, no timer thread."""
from __future__ import annotations

import threading

import pytest
from limits import parse
from limits.strategies import FixedWindowRateLimiter

from api import limiter_storage
from api.limiter_storage import WindowCounters

SYM = "BTC-USDT"


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    now = [1_000_000.0]
    monkeypatch.setattr(limiter_storage, "_now", lambda: now[0])
    return now


def test_a_window_counts_then_expires(clock: list[float]) -> None:
    store = WindowCounters()
    limiter = FixedWindowRateLimiter(store)
    item = parse("3 per second")
    assert [limiter.hit(item, "a") for _ in range(4)] == [True, True, True, False]
    assert limiter.hit(item, "b")  # another key counts apart
    stats = limiter.get_window_stats(item, "a")
    assert stats.remaining == 0 and stats.reset_time == clock[0] + 1
    clock[0] += 0.999
    assert not limiter.test(item, "a")
    clock[0] += 0.001  # the window has passed: a fresh one
    assert limiter.test(item, "a") and store.get(item.key_for("a")) == 0
    assert limiter.get_window_stats(item, "a").remaining == 3
    assert [limiter.hit(item, "a") for _ in range(4)] == [True, True, True, False]
    clock[0] += 1  # every window has passed: the reset time is now, never one in the past
    assert limiter.get_window_stats(item, "b") == (clock[0], 3)
    # a cost counts in full, refused or not (as the limits package's own storage counts it)
    assert [limiter.hit(item, "a", cost=2), limiter.hit(item, "a", cost=2), limiter.hit(item, "a")] == [True, False, False]
    assert store.get(item.key_for("a")) == 5
    limiter.clear(item, "a")
    assert limiter.hit(item, "a", cost=3) and not limiter.hit(item, "a")


def test_counting_from_many_threads_is_exact() -> None:
    store = WindowCounters()

    def hit() -> None:
        for _ in range(5_000):
            store.incr("k", 60, amount=2)

    threads = [threading.Thread(target=hit) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert store.get("k") == 8 * 5_000 * 2


def test_expired_counters_are_swept(clock: list[float]) -> None:
    """Many addresses seen once each do not stay in memory: a hit after a second drops the expired ones."""
    store = WindowCounters()
    limiter = FixedWindowRateLimiter(store)
    item = parse("10 per second")
    for i in range(5_000):
        limiter.hit(item, f"10.0.{i // 256}.{i % 256}")
    assert len(store.counts) == len(store.ends) == 5_000
    clock[0] += 1.5
    limiter.hit(item, "late")
    assert set(store.counts) == set(store.ends) == {item.key_for("late")}
    assert len(store._expiring) == 1  # the sweep took only what had expired, and all of it
    assert store.reset() == 1 and not store.counts


def test_the_server_hits_its_limits_without_starting_threads() -> None:
    from api import create_app

    app = create_app({"ASYNC_MODE": "threading", "FEED_ENABLED": False, "RATE_LIMIT": "1000 per minute",
                      "LOG_LEVEL": "WARNING", "DEMO_ACCOUNTS": False})
    storage = app.extensions["me_limiter"].limiter.storage
    assert isinstance(storage, WindowCounters)
    before = {t.ident for t in threading.enumerate()}
    c = app.test_client()
    try:
        codes = [c.get(f"/bbo/{SYM}").status_code for _ in range(1_005)]
        assert codes.count(200) == 1_000 and codes[-5:] == [429] * 5
        started = [t for t in threading.enumerate() if t.ident not in before]
        assert not started, started  # the `limits` memory storage starts a Timer thread per window of 10 ms
    finally:
        app.extensions["me_feed"].stop()
