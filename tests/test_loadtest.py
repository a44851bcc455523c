"""The load tester against real servers on loopback: reports, thresholds, pacing, coordinated omission, fan-out, accounts."""
from __future__ import annotations

import contextlib
import csv
import json
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Iterator

import pytest
import requests

from scripts.loadtest import profiles
from scripts.loadtest.cli import EXIT_SETUP, EXIT_THRESHOLD, main
from scripts.loadtest.fanout import FanOut, Subscriber
from scripts.loadtest.orders import LiveOrders, parse_mix
from scripts.loadtest.report import parse_threshold
from scripts.loadtest.runner import RequestSpec
from tests.servers import ROOT, demo_key, free_port, running_server


@contextlib.contextmanager
def fake_server(mode: str, *extra: str) -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "tests.fake_servers", "--port", str(port), "--mode", mode, *extra],
                            cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.kill()
        proc.wait(timeout=10)
        if proc.stdout:
            proc.stdout.close()


@pytest.fixture(scope="module")
def engine_server() -> Iterator[str]:
    with running_server("--l2-interval-ms", "50") as url:
        yield url


def load(tmp_path: Path, *args: str) -> tuple[int, dict]:
    out = tmp_path / "report"
    code = main([*args, "--quiet", "--report-dir", str(out)])
    return code, json.loads((out / "summary.json").read_text())


def test_report_files_and_fields(engine_server: str, tmp_path: Path) -> None:
    code, summary = load(tmp_path, "--url", engine_server, "--rate", "200", "--duration", "2", "--connections", "8",
                         "--threshold", "error_rate<1%")
    assert code == 0
    out = tmp_path / "report"
    for name in ("summary.json", "timeseries.csv", "latency_from_intended.hgrm", "latency_from_send.hgrm",
                 "timeline.png", "percentiles.png"):
        assert (out / name).stat().st_size > 0, name
    assert (out / "timeline.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert summary["model"] == "open" and summary["target_rate"] == 200
    assert summary["scheduled"] == summary["sent"] == 400
    o = summary["outcomes"]
    assert o["total"] == o["accepted"] + o["rejected"] + o["rate_limited"] + o["errors"] and o["accepted"] > 300
    for key in ("p50_ms", "p90_ms", "p99_ms", "p99.9_ms", "max_ms", "count"):
        assert key in summary["latency_from_intended"]
    assert summary["histograms"]["from_intended"]
    assert summary["thresholds"] == [{"threshold": "error_rate<1%", "actual": o["error_rate"], "passed": True}]
    rows = (out / "timeseries.csv").read_text().splitlines()
    assert rows[0].startswith("second,target_rate,sent,completed") and len(rows) >= 3
    assert "Percentile" in (out / "latency_from_intended.hgrm").read_text()


def test_breached_threshold_exits_non_zero(engine_server: str, tmp_path: Path) -> None:
    code, summary = load(tmp_path, "--url", engine_server, "--rate", "50", "--duration", "1", "--threshold", "p50<0.001ms")
    assert code == EXIT_THRESHOLD
    assert summary["latency_from_intended"]["count"] > 0


def test_a_fast_server_gets_exactly_the_scheduled_requests_answered_in_the_window(tmp_path: Path) -> None:
    with fake_server("fast") as url:
        code, summary = load(tmp_path, "--url", url, "--request", "GET /health", "--rate", "2000", "--duration", "3",
                             "--connections", "16")
    assert code == 0
    assert summary["scheduled"] == summary["sent"] == 6000  # by index: not one more
    assert summary["outcomes"]["errors"] == 0
    # only the last few answers may land just after the window closes
    assert 5700 <= summary["answered_in_window"] <= 6000, summary["answered_in_window"]
    assert summary["achieved_rate"] == round(summary["answered_in_window"] / 3, 2)


def test_achieved_counts_answers_inside_the_window_not_late_sends(tmp_path: Path) -> None:
    # The server stops answering 0.5 s in and holds every answer until well after the 2 s window:
    # the requests still all go out and are answered (late), but almost none inside the window.
    with fake_server("stall", "--stall-at", "0.5", "--stall-for", "2.5") as url:
        code, summary = load(tmp_path, "--url", url, "--request", "GET /x", "--rate", "50", "--duration", "2",
                             "--connections", "4")
    assert code == 0
    assert summary["scheduled"] == 100 and summary["outcomes"]["accepted"] == 100
    assert summary["answered_in_window"] <= 35, summary  # those answered before the stall
    assert summary["achieved_rate"] <= 17.5, summary["achieved_rate"]  # far below the 50/s target
    assert summary["behind_schedule"] >= 50, summary  # queued behind the 4 held connections
    assert summary["sent_after_window"] >= 1, summary


def test_stall_shows_in_intended_p99_not_in_actual_p99(tmp_path: Path) -> None:
    with fake_server("stall", "--stall-at", "1.0", "--stall-for", "0.5") as url:
        code, summary = load(tmp_path, "--url", url, "--request", "GET /x", "--rate", "500", "--duration", "3",
                             "--connections", "4")
    assert code == 0
    intended, actual = summary["latency_from_intended"], summary["latency_from_send"]
    assert intended["p99_ms"] > 200, intended
    assert actual["p99_ms"] < 50, actual
    assert summary["behind_schedule"] > 100


def test_requests_past_the_timeout_count_as_timeouts(tmp_path: Path) -> None:
    with fake_server("stall", "--stall-at", "0.5", "--stall-for", "1.0") as url:
        code, summary = load(tmp_path, "--url", url, "--request", "GET /x", "--rate", "100", "--duration", "2",
                             "--connections", "4", "--timeout", "0.2")
    assert code == 0
    outcomes = summary["outcomes"]
    assert outcomes["timeouts"] >= 4, outcomes  # every connection waiting in the stall gave up
    assert outcomes["accepted"] > 50, outcomes  # and the run went on after it
    # a timed-out request is in the histograms, at no less than the timeout
    for name in ("latency_from_intended", "latency_from_send"):
        lat = summary[name]
        assert lat["count"] == outcomes["accepted"] + outcomes["timeouts"], (name, lat, outcomes)
        assert lat["max_ms"] >= 200, (name, lat)
    share = outcomes["timeouts"] / (outcomes["accepted"] + outcomes["timeouts"])
    assert share > 0.01 and summary["latency_from_intended"]["p99_ms"] >= 200


def test_closed_model_users_wait_for_answers_and_think(tmp_path: Path) -> None:
    with fake_server("fast") as url:
        code, summary = load(tmp_path, "--url", url, "--request", "GET /x", "--model", "closed", "--connections", "4",
                             "--think-time", "0.05", "--duration", "2")
    assert code == 0 and summary["model"] == "closed" and summary["target_rate"] is None
    # 4 users, each at most one request per 50 ms of thinking: at most 4 x 40 in 2 s
    assert 120 <= summary["sent"] <= 164, summary["sent"]
    assert summary["scheduled"] == summary["sent"] == summary["outcomes"]["accepted"]
    assert summary["behind_schedule"] == 0


def test_closed_model_stops_sending_while_the_server_stalls(tmp_path: Path) -> None:
    with fake_server("stall", "--stall-at", "0.5", "--stall-for", "1.5") as url:
        code, summary = load(tmp_path, "--url", url, "--request", "GET /x", "--model", "closed", "--connections", "4",
                             "--duration", "3")
    assert code == 0
    rows = list(csv.DictReader((tmp_path / "report" / "timeseries.csv").read_text().splitlines()))
    sent = {int(r["second"]): int(r["sent"]) for r in rows}
    assert sent[1] <= 4, sent  # every user waits on its one unanswered request: unlike the open model
    assert sent[0] > 100 and sent[2] > 100, sent  # before and after the stall they go flat out
    assert summary["latency_from_send"]["max_ms"] >= 900  # the requests held through the stall


def test_fanout_latency_and_sequence_checks(engine_server: str, tmp_path: Path) -> None:
    code, summary = load(tmp_path, "--url", engine_server, "--rate", "150", "--duration", "2", "--connections", "8",
                         "--subscribers", "3", "--symbols", "BTC-USDT,ETH-USDT")
    assert code == 0
    fan = summary["fanout"]
    assert fan["subscribers"] == 3 and fan["trades_expected_per_subscriber"] > 0
    assert fan["trades_missing"] == 0 and fan["duplicates"] == 0 and fan["out_of_order"] == 0
    assert fan["trade_delay"]["count"] >= 3 * fan["trades_expected_per_subscriber"] * 0.9
    assert fan["l2_delay"]["count"] > 0
    # one time-to-last-subscriber per trade, the slowest of that trade's deliveries
    assert fan["time_to_last_subscriber"]["count"] == fan["trades_expected_per_subscriber"]
    assert fan["time_to_last_subscriber"]["max_ms"] == fan["trade_delay"]["max_ms"]


def _fanout_with(receipts: dict[str, list[tuple[int, int, float]]], l2: dict[str, list[tuple[int, float]]]) -> FanOut:
    fan = FanOut("http://127.0.0.1:1", ["BTC-USDT"], 0, clock=lambda: 0.0)
    for name, trades in receipts.items():
        sub = Subscriber(name, client=None)  # type: ignore[arg-type]  # analyse() never touches the client
        sub.trades.extend(trades)
        sub.l2["BTC-USDT"].extend(l2.get(name, []))
        fan.subscribers.append(sub)
    return fan


def test_fanout_analysis_counts_missing_duplicate_and_out_of_order_and_times_from_the_intended_send() -> None:
    # Orders 1 and 2 were intended at t=10.0 and t=20.0; each caused one trade (101, 102).
    orders = {1: (10.0, "BTC-USDT", 5), 2: (20.0, "BTC-USDT", 9)}
    fan = _fanout_with(
        {"a": [(101, 1, 10.002), (102, 2, 20.004)],
         "b": [(101, 1, 10.010), (101, 1, 10.011)]},           # b: 101 twice, 102 never
        {"a": [(5, 10.003), (9, 20.005)], "b": [(9, 20.020), (5, 20.021)]})  # b: sequence goes back
    result = fan.analyse(orders, {101, 102})
    assert result["trades_missing"] == 1
    assert result["duplicates"] == 1
    assert result["out_of_order"] == 1
    assert result["trade_delay"]["count"] == 3
    assert result["trade_delay"]["min_ms"] == pytest.approx(2, abs=0.01)
    assert result["trade_delay"]["max_ms"] == pytest.approx(10, abs=0.01)
    # trade 101 reached its last subscriber 10 ms after the order's intended send, 102 after 4 ms
    last = result["time_to_last_subscriber"]
    assert last["count"] == 2 and last["max_ms"] == pytest.approx(10, abs=0.01) and last["min_ms"] == pytest.approx(4, abs=0.01)
    # a book update counts from the first update whose sequence reaches the order's: 3 ms for order 1 at a
    assert result["l2_delay"]["min_ms"] == pytest.approx(3, abs=0.01)


def test_mix_with_cancels_keeps_the_books_steady_and_knows_its_own_resting_orders(tmp_path: Path) -> None:
    with running_server() as url:  # a server of its own: every resting order is the tester's
        code, summary = load(tmp_path, "--url", url, "--rate", "300", "--duration", "3", "--connections", "8",
                             "--mix", "limit=60,market=5,ioc=5,fok=5,cancel=25")
        stats = requests.get(f"{url}/statistics", timeout=5).json()["symbols"]
    assert code == 0
    out = summary["outcomes"]
    assert summary["cancels_sent"] >= 150, summary["cancels_sent"]  # about a quarter of 900
    # every cancel named an order that was still resting: none answered "unknown order"
    assert out["rejected"] == 0 and out["errors"] == 0, out
    resting = sum(s["resting_orders"] for s in stats.values())
    assert summary["own_orders_resting"] == resting
    assert resting < 50, resting  # without cancels about 150 rest: see the next test


def test_without_cancels_the_books_grow(tmp_path: Path) -> None:
    with running_server() as url:
        code, summary = load(tmp_path, "--url", url, "--rate", "300", "--duration", "3", "--connections", "8",
                             "--mix", "limit=60,market=5,ioc=5,fok=5")
        stats = requests.get(f"{url}/statistics", timeout=5).json()["symbols"]
    assert code == 0 and summary["cancels_sent"] == 0 and summary["own_orders_resting"] is None
    assert sum(s["resting_orders"] for s in stats.values()) > 100  # about 150


def test_live_orders_follow_fills_and_cancels() -> None:
    live = LiveOrders(seed=1)
    live.learn({"order_id": 1, "symbol": "BTC-USDT", "status": "pending", "remaining_quantity": "0.5", "trades": []})
    live.learn({"order_id": 2, "symbol": "ETH-USDT", "status": "pending", "remaining_quantity": "1", "trades": []})
    live.learn({"order_id": 3, "symbol": "BTC-USDT", "status": "filled", "remaining_quantity": "0",
                "trades": [{"maker_order_id": 1, "quantity": "0.2"}]})  # 1 partly filled: still rests
    assert len(live) == 2
    live.learn({"order_id": 4, "symbol": "BTC-USDT", "status": "partially_filled", "remaining_quantity": "0.1",
                "trades": [{"maker_order_id": 1, "quantity": "0.3"}]})  # 1 filled; 4 rests with the rest
    assert len(live) == 2 and sorted(live.ids) == [2, 4]
    taken = {live.take(), live.take()}
    assert taken == {("ETH-USDT", 2), ("BTC-USDT", 4)}
    assert live.take() is None and len(live) == 0


def test_mix_parsing() -> None:
    assert parse_mix("limit=60,cancel=40") == {"limit": 60, "cancel": 40}
    with pytest.raises(ValueError, match="no orders"):
        parse_mix("cancel=10")
    with pytest.raises(ValueError, match="kind=weight"):
        parse_mix("stop=10")


def test_profiles_and_thresholds_parse() -> None:
    sp = profiles.spike(100, 500, 30, 10)
    assert sp.duration_s == 30 and sp.rate_at(5) == 100 and sp.rate_at(15) == 500 and sp.rate_at(25) == 100
    st = profiles.staged("10s@100,20s@100->500")
    assert st.rate_at(20) == pytest.approx(300) and round(st.expected_requests()) == 1000 + 6000
    assert parse_threshold("p99<20ms").value == 20 and parse_threshold("p99.9<=1s").value == 1000
    assert parse_threshold("error_rate<0.1%").value == pytest.approx(0.001)
    with pytest.raises(ValueError):
        parse_threshold("p99 about 20")


@pytest.mark.parametrize(("profile", "count"), [
    (profiles.constant(1000, 10), 10_000),
    (profiles.constant(1000, 1), 1000),
    (profiles.constant(3, 1), 3),
    (profiles.constant(7, 0.1), 0),
    (profiles.ramp(0, 100, 10), 500),
    (profiles.staged("10s@100,20s@100->500"), 7000),
    (profiles.staged("5s@0,5s@100"), 500),
    (profiles.spike(100, 500, 30, 10), 7000),
])
def test_schedule_holds_exactly_the_expected_requests_inside_the_window(profile: profiles.Profile, count: int) -> None:
    sched = list(profile.schedule())
    assert len(sched) == count == profile.request_count()
    assert all(a < b for a, b in zip(sched, sched[1:]))
    assert all(0 <= t < profile.duration_s for t in sched)


def test_schedule_follows_the_rate() -> None:
    sched = list(profiles.constant(1000, 10).schedule())
    assert sched[1] == pytest.approx(0.001) and sched[-1] == pytest.approx(9.999)
    idle_first = list(profiles.staged("5s@0,5s@100").schedule())
    assert idle_first[0] == pytest.approx(5.0) and idle_first[100] == pytest.approx(6.0)
    ramp = list(profiles.ramp(0, 100, 10).schedule())
    # the rate grows linearly, so the first half of the time holds a quarter of the requests
    assert sum(1 for t in ramp if t < 5) == 125
    stepped = list(profiles.spike(100, 500, 30, 10).schedule())
    assert sum(1 for t in stepped if 10 <= t < 20) == 5000


def test_bad_arguments_exit_2() -> None:
    assert main(["--url", "ftp://x", "--duration", "1"]) == 2
    assert main(["--threshold", "nonsense"]) == 2
    assert main(["--test-type", "staged", "--stages", "abc"]) == 2


# ---- accounts ------------------------------------------------------------------------

def _pages(url: str, path: str, key: str, field: str, ident: str, **params: str) -> list[dict]:
    """Every row of a paged private listing (GET /fills or /orders), newest first."""
    rows: list[dict] = []
    before = None
    for _ in range(100):  # bounded: 100 pages of 500
        query = {**params, "limit": "500", **({"before": str(before)} if before is not None else {})}
        r = requests.get(f"{url}{path}", headers={"X-API-Key": key}, params=query, timeout=10)
        assert r.status_code == 200, r.text
        data = r.json()
        rows.extend(data[field])
        before = data["next_before"]
        if before is None:
            return rows
    raise AssertionError(f"{path} did not end in 100 pages")


def test_two_keys_spread_orders_over_both_accounts_which_trade_with_each_other(tmp_path: Path) -> None:
    with running_server() as url:  # a server of its own: every order and trade is the tester's
        keys = [demo_key(url, 0), demo_key(url, 1)]
        code, summary = load(tmp_path, "--url", url, "--api-key", keys[0], "--api-key", keys[1], "--rate", "300",
                             "--duration", "2", "--connections", "8", "--symbols", "BTC-USDT,ETH-USDT",
                             "--mix", "limit=60,market=5,ioc=5,fok=5,cancel=25")
        orders = [{o["order_id"] for o in _pages(url, "/orders", k, "orders", "order_id", status="all")} for k in keys]
        still_open = [_pages(url, "/orders", k, "orders", "order_id", status="open") for k in keys]
        fills = [{f["trade_id"]: f for f in _pages(url, "/fills", k, "fills", "trade_id")} for k in keys]
        total_trades = requests.get(f"{url}/statistics", timeout=5).json()["total_trades"]
    assert code == 0
    acc = summary["accounts"]
    assert acc["count"] == 2 and acc["keys"] == 2 and acc["source"] == "api-key", acc
    assert [a["name"] for a in acc["per_account"]] == ["demo-1", "demo-2"]
    per = acc["per_account"]
    assert sum(a["requests"] for a in per) == summary["sent"] == 600
    # round-robin: each account sends about half (cancels go with the owner's key, so not exactly half)
    assert all(a["requests"] >= 0.35 * summary["sent"] for a in per), per
    # the server saw both accounts' orders, and no order is both's
    assert not orders[0] & orders[1]
    assert all(len(o) >= 150 for o in orders), [len(o) for o in orders]
    # cancels went out for both accounts' orders, each with its owner's key: not one answered 404 (or anything 4xx)
    assert summary["cancels_sent"] >= 100 and all(a["cancels"] >= 30 for a in per), per
    out = summary["outcomes"]
    assert out["rejected"] == 0 and out["errors"] == 0 and all(a["rejected"] == 0 for a in per), (out, per)
    assert summary["own_orders_resting"] == len(still_open[0]) + len(still_open[1])
    # trades between the accounts: one account's order made, the other's took
    assert total_trades > 50, total_trades
    between = 0
    for trade_id, fill in fills[0].items():
        other = fills[1].get(trade_id)
        if other is None:
            assert fill["liquidity"] == "both", fill  # only demo-1 in it: a trade of demo-1 with itself
            assert fill["maker_order_id"] in orders[0] and fill["taker_order_id"] in orders[0]
            continue
        between += 1
        assert {fill["liquidity"], other["liquidity"]} == {"maker", "taker"}, (fill, other)
        maker, taker = (0, 1) if fill["liquidity"] == "maker" else (1, 0)
        assert fill["maker_order_id"] in orders[maker] and fill["taker_order_id"] in orders[taker], fill
    assert len(set(fills[0]) | set(fills[1])) == total_trades  # every trade was one of theirs
    # about half the trades are between the two (each order meets either account's orders)
    assert between >= 0.25 * total_trades, (between, total_trades)


def test_cancel_goes_with_the_key_of_the_account_that_placed_the_order() -> None:
    live = LiveOrders(seed=3)
    live.learn({"order_id": 7, "symbol": "BTC-USDT", "status": "pending", "remaining_quantity": "1", "trades": []},
               owner=1)
    spec = RequestSpec("POST", "/order", [None, b"{}"], live, [b"X-API-Key: a\r\n", b"X-API-Key: b\r\n"])
    # request 0 would be account 0's turn, but it cancels account 1's order: account 1's key
    assert spec.request(0) == ("/cancel", b'{"symbol":"BTC-USDT","order_id":7}', 1)
    assert spec.header(1) == b"X-API-Key: b\r\n"
    # nothing rests now: the next order of the pool instead, with the key whose turn it is
    assert spec.request(2) == ("/order", b"{}", 0)
    assert spec.request(1) == ("/order", b"{}", 1)


def test_cancels_never_race_the_testers_own_fills() -> None:
    live = LiveOrders(seed=5)
    live.learn({"order_id": 1, "symbol": "BTC-USDT", "side": "sell", "price": "100", "status": "pending",
                "remaining_quantity": "1", "trades": []}, owner=0)
    buy_101, sell_99, buy_99 = b'{"b":101}', b'{"s":99}', b'{"b":99}'
    spec = RequestSpec("POST", "/order", [buy_101, None, sell_99, buy_99], live, [b"k0", b"k1"],
                       [("BTC-USDT", True, 101.0), None, ("BTC-USDT", False, 99.0), ("BTC-USDT", True, 99.0)])
    path, body, who, order = spec.next(0)
    assert (path, body, who) == ("/order", buy_101, 0)
    # the buy at 101 is in flight and could fill the sell at 100: no cancel of it now, an order instead
    path, body, who, other = spec.next(1)
    assert (path, body, who) == ("/order", sell_99, 1) and len(live) == 1
    spec.release(order)
    spec.release(other)
    # nothing in flight: now it is cancelled, with its owner's key
    path, body, who, cancel = spec.next(5)
    assert (path, body, who) == ("/cancel", b'{"symbol":"BTC-USDT","order_id":1}', 0) and len(live) == 0
    # while that cancel is in flight, the buy at 101 (which could fill the order) waits: the next safe order goes
    path, body, _, _ = spec.next(4)
    assert (path, body) == ("/order", sell_99)
    path, body, _, _ = spec.next(7)
    assert (path, body) == ("/order", buy_99)  # below the sell at 100: cannot fill it
    spec.release(cancel)
    assert spec.next(8)[1] == buy_101


def test_fills_read_before_the_resting_orders_own_answer_count() -> None:
    live = LiveOrders(seed=1)
    # the taker's answer comes first: order 5 was filled before its own answer said it rests
    live.learn({"order_id": 6, "symbol": "ETH-USDT", "status": "filled", "remaining_quantity": "0",
                "trades": [{"maker_order_id": 5, "quantity": "0.5"}]})
    live.learn({"order_id": 5, "symbol": "ETH-USDT", "status": "pending", "remaining_quantity": "0.5", "trades": []})
    assert len(live) == 0
    live.learn({"order_id": 8, "symbol": "ETH-USDT", "status": "filled", "remaining_quantity": "0",
                "trades": [{"maker_order_id": 7, "quantity": "0.2"}]})
    live.learn({"order_id": 7, "symbol": "ETH-USDT", "status": "pending", "remaining_quantity": "0.5", "trades": []})
    assert live.rest[7][1] == Decimal("0.3")


def test_accounts_created_through_the_admin_key_share_the_load(tmp_path: Path) -> None:
    admin = "admin-for-the-load-test"
    with running_server("--admin-key", admin) as url:
        code, summary = load(tmp_path / "one", "--url", url, "--accounts", "3", "--admin-key", admin, "--rate", "200",
                             "--duration", "1.5", "--connections", "6", "--mix", "limit=100")
        listed = requests.get(f"{url}/admin/accounts", headers={"X-Admin-Key": admin}, timeout=10).json()["accounts"]
        resting = sum(s["resting_orders"] for s in requests.get(f"{url}/statistics", timeout=5).json()["symbols"].values())
        # a second run creates three more, under names of its own (a name in use would be refused 409)
        code_again, again = load(tmp_path / "two", "--url", url, "--accounts", "3", "--admin-key", admin, "--rate", "50",
                                 "--duration", "0.5", "--mix", "limit=100")
        names_after = [a["name"] for a in requests.get(f"{url}/admin/accounts", headers={"X-Admin-Key": admin},
                                                       timeout=10).json()["accounts"]]
    assert code == 0 and code_again == 0
    acc = summary["accounts"]
    assert acc["count"] == 3 and acc["source"] == "created", acc
    names = [a["name"] for a in acc["per_account"]]
    assert len(set(names)) == 3 and all(re.fullmatch(r"loadtest-.+-[123]", n) for n in names), names
    assert len({n.rsplit("-", 1)[0] for n in names}) == 1  # one run id
    by_name = {a["name"]: a for a in listed}
    for row in acc["per_account"]:
        assert by_name[row["name"]]["account_id"] == row["account_id"]
        assert 90 <= row["requests"] <= 110, row  # 300 requests round-robin over three
        assert by_name[row["name"]]["open_orders"] > 0, by_name[row["name"]]  # its orders reached the server
    assert summary["outcomes"]["accepted"] == 300 and summary["outcomes"]["rejected"] == 0
    assert all(by_name[n]["open_orders"] == 0 for n in ("demo-1", "demo-2"))  # the tester used its own accounts
    assert sum(by_name[n]["open_orders"] for n in names) == resting
    again_names = [a["name"] for a in again["accounts"]["per_account"]]
    assert len(again_names) == 3 and not set(again_names) & set(names)
    assert sum(1 for n in names_after if n.startswith("loadtest-")) == 6


def test_account_setup_errors_are_clear(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ME_ADMIN_KEY", raising=False)
    short = ["--rate", "10", "--duration", "0.5", "--quiet"]
    # options alone
    assert main(["--accounts", "2", *short]) == 2
    assert "--admin-key" in capsys.readouterr().err
    assert main(["--accounts", "2", "--admin-key", "k", "--api-key", "me_x_y", *short]) == 2
    assert "not both" in capsys.readouterr().err
    with running_server("--no-demo") as url:
        # neither keys nor accounts, and no demo keys to fall back on
        assert main(["--url", url, *short]) == EXIT_SETUP
        err = capsys.readouterr().err
        assert "demo keys" in err and "--api-key" in err and "--accounts" in err, err
        # the server has no admin surface
        assert main(["--url", url, "--accounts", "2", "--admin-key", "k", *short]) == EXIT_SETUP
        err = capsys.readouterr().err
        assert "no admin surface" in err and "--admin-key" in err, err
        # a key the server does not know, named by its key id, never its secret
        assert main(["--url", url, "--api-key", "me_abcdef012345_notthesecret", *short]) == EXIT_SETUP
        err = capsys.readouterr().err
        assert "refused" in err and "abcdef012345" in err and "notthesecret" not in err, err
        # public requests need no key: they run without one
        code, summary = load(tmp_path, "--url", url, "--request", "GET /health", "--rate", "20", "--duration", "0.5")
        assert code == 0 and summary["outcomes"]["accepted"] == 10 and summary["accounts"]["count"] == 0
    with running_server("--admin-key", "right") as url:
        assert main(["--url", url, "--accounts", "1", "--admin-key", "wrong", *short]) == EXIT_SETUP
        err = capsys.readouterr().err
        assert "refused the admin key" in err, err
