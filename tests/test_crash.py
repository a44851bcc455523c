"""Crash test: a real server under load is killed with SIGKILL; nothing acknowledged is lost."""
from __future__ import annotations

import contextlib
import gc
import random
import sqlite3
import threading
import time
from decimal import Decimal
from pathlib import Path

import requests
import socketio

from api.storage.records import decode, unpack
from engine import codec
from engine.commands import AddKey, Cancel, CreateAccount, Deposit, Submit
from engine.matcher import create_crypto_engine
from tests.reference_book import ReferenceBook
from tests.servers import demo_key, free_port, server_process, signed_in

SYMBOLS = ("BTC-USDT", "ETH-USDT")
MID = {"BTC-USDT": 30000, "ETH-USDT": 2000}


def random_order(rng: random.Random, side: str) -> dict:
    symbol = rng.choice(SYMBOLS)
    kind = rng.choices(["limit", "market", "ioc", "fok"], [70, 10, 10, 10])[0]
    body = {"symbol": symbol, "side": side, "order_type": kind,
            "quantity": f"{rng.randint(1, 50) / 100:.2f}"}
    if kind != "market":
        body["price"] = f"{MID[symbol] + rng.randint(-20, 20)}.00"
    return body


def load(url: str, key: str, side: str, seed: int, acked: list[tuple[str, dict]], stop: threading.Event) -> None:
    """Orders on one ``side`` with one account's ``key``; each acknowledged one is kept with the key that placed it.

    One account only sells and the other only buys, so an order never meets one of its own account's on the
    other side: self-trade prevention never applies, and the naive reference book (which knows no accounts)
    matches exactly like the engine.
    """
    rng = random.Random(seed)
    with requests.Session() as session:
        session.headers["X-API-Key"] = key
        for _ in range(5000):  # bounded in count; the kill or the deadline ends it sooner
            if stop.is_set():
                return
            try:
                r = session.post(f"{url}/order", json=random_order(rng, side), timeout=5)
            except requests.RequestException:
                return
            if r.status_code == 200:
                acked.append((key, r.json()))


def journal_commands(data_dir: Path) -> list:
    conn = sqlite3.connect(data_dir / "engine.db")
    symbols = __import__("json").loads(conn.execute("SELECT value FROM meta WHERE key='symbols'").fetchone()[0])
    rows = conn.execute("SELECT recs FROM journal ORDER BY lsn").fetchall()
    conn.close()
    return [decode(rec, symbols) for (blob,) in rows for rec in unpack(blob)]


def reference_books(commands: list) -> tuple[dict[str, ReferenceBook], list[tuple]]:
    """The journal's commands fed to the naive reference book (Decimal prices, linear scans), one per symbol.

    Returns the books and every trade in execution order as (symbol, price, quantity, maker id, taker id).
    """
    engine = create_crypto_engine()  # only for its symbols' scales, to turn ticks and lots into decimals
    books = {s: ReferenceBook() for s in SYMBOLS}
    trades: list[tuple] = []
    for c in commands:
        if not isinstance(c, (Submit, Cancel)):  # account commands: no order book is touched
            continue
        book, m = books[c.symbol], engine.market(c.symbol)
        if isinstance(c, Submit):
            price = codec.price_text(m, c.price_ticks)
            _, fills = book.submit(c.order_id, c.side.value, c.order_type.value,
                                   Decimal(codec.qty_text(m, c.qty_lots)), Decimal(price) if price else None,
                                   c.post_only)
            trades += [(c.symbol, t.price, t.quantity, t.maker_order_id, t.taker_order_id) for t in fills]
        else:
            assert book.cancel(c.order_id), c
    return books, trades


def reference_balances(commands: list, books: dict[str, ReferenceBook], trades: list[tuple],
                       start: dict[int, dict[str, Decimal]], symbol_info: dict[str, dict]) -> dict[int, dict]:
    """Each account's balances the reference trades and resting orders make of its ``start`` balances.

    Per asset ``{"available": ..., "locked": ...}``: a fill moves the base to the buyer and the value, less the
    seller's fee, to the seller; the buyer pays the value plus its fee (each side's fee at its rate as maker or
    taker); a resting sell locks its remaining quantity, a resting buy its price x remaining quantity plus the
    larger fee rate's fee on it.
    """
    owner = {c.order_id: c.account for c in commands if isinstance(c, Submit)}
    side = {c.order_id: c.side.value for c in commands if isinstance(c, Submit)}
    total = {a: dict(assets) for a, assets in start.items()}
    locked = {a: {asset: Decimal(0) for asset in assets} for a, assets in start.items()}
    rate = {s: {"maker": Decimal(i["maker_fee_rate"]), "taker": Decimal(i["taker_fee_rate"])}
            for s, i in symbol_info.items()}
    for symbol, price, qty, maker, taker in trades:
        base, quote = symbol_info[symbol]["base_asset"], symbol_info[symbol]["quote_asset"]
        buy, sell = (maker, taker) if side[maker] == "buy" else (taker, maker)
        value = price * qty
        total[owner[buy]][base] += qty
        total[owner[buy]][quote] -= value + value * rate[symbol]["maker" if buy == maker else "taker"]
        total[owner[sell]][base] -= qty
        total[owner[sell]][quote] += value - value * rate[symbol]["maker" if sell == maker else "taker"]
    for symbol, book in books.items():
        base, quote = symbol_info[symbol]["base_asset"], symbol_info[symbol]["quote_asset"]
        for o in book.resting:
            if o.side == "sell":
                locked[owner[o.order_id]][base] += o.remaining
            else:
                locked[owner[o.order_id]][quote] += o.price * o.remaining * (1 + max(rate[symbol].values()))
    return {a: {asset: {"available": total[a][asset] - locked[a][asset], "locked": locked[a][asset]}
                for asset in total[a]} for a in total}


def decimal_balances(balances: dict[str, dict[str, str]]) -> dict[str, dict[str, Decimal]]:
    return {asset: {k: Decimal(v) for k, v in b.items()} for asset, b in balances.items()}


def subscribe_trades(url: str, received: list[dict]):  # type: ignore[no-untyped-def]
    """A live subscriber to every trade, connected for the whole load."""
    client = socketio.Client(reconnection=False)
    client.on("trade", received.append, namespace="/market")
    client.connect(url, namespaces=["/market"], transports=["websocket"], wait_timeout=10)
    client.emit("subscribe", {"type": "trades"}, namespace="/market")
    return client


def test_sigkill_under_load_loses_nothing_acknowledged(tmp_path: Path) -> None:
    port = free_port()
    acked: list[tuple[str, dict]] = []  # (the key that placed it, the acknowledgement)
    stop = threading.Event()
    received: list[dict] = []
    with server_process("--data-dir", str(tmp_path), "--fsync", "always", port=port) as (url, proc):
        keys = [demo_key(url, 0), demo_key(url, 1)]  # the load comes from both demo accounts, so they trade
        with requests.Session() as http:  # with each other
            opened = [http.get(f"{url}/account", headers={"X-API-Key": k}, timeout=5).json() for k in keys]
            symbol_info = http.get(f"{url}/symbols", timeout=5).json()["symbol_info"]
        accounts = [a["account_id"] for a in opened]
        assert len(set(accounts)) == 2
        # what each account holds before its first order: its deposits, nothing locked
        start = {a["account_id"]: {asset: Decimal(b["available"]) for asset, b in a["balances"].items()}
                 for a in opened}
        assert all(Decimal(b["locked"]) == 0 for a in opened for b in a["balances"].values())
        assert all(start[a][symbol_info[s][k]] > 0 for a in accounts for s in SYMBOLS
                   for k in ("base_asset", "quote_asset"))
        subscriber = subscribe_trades(url, received)
        time.sleep(0.3)  # the subscription is in place before the load starts
        sides = ("sell", "buy")  # demo-1 sells, demo-2 buys: every trade is between the two
        threads = [threading.Thread(target=load, args=(url, keys[seed % 2], sides[seed % 2], seed, acked, stop))
                   for seed in range(6)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 10
        while len(acked) < 600 and time.monotonic() < deadline:
            time.sleep(0.05)
        proc.kill()  # SIGKILL, mid-flight
        proc.wait(timeout=10)
        stop.set()
        subscriber.disconnect()
        subscriber.eio.disconnect(abort=True)  # the server is gone: close the WebSocket's own socket too
        gc.collect()  # a socket left open would warn here, in this test, not in a later one
        for t in threads:
            t.join(timeout=10)
    assert len(acked) >= 300, "the load did not get going"

    commands = journal_commands(tmp_path)
    # the journal opens with the demo accounts, and every order after them is one of theirs
    # each demo account: created, keyed, and funded in each of the 5 assets
    expected = [row for a in accounts for row in [(CreateAccount, a), (AddKey, a)] + [(Deposit, a)] * 5]
    assert [(type(c), c.account_id) for c in commands[:len(expected)]] == expected
    assert all(isinstance(c, (Submit, Cancel)) and c.account in accounts for c in commands[len(expected):])
    owner = {c.order_id: c.account for c in commands if isinstance(c, Submit)}
    # every acknowledgement was durable first, recorded for the account whose key placed it
    assert {a["order_id"]: accounts[keys.index(k)] for k, a in acked}.items() <= owner.items()
    assert {accounts[keys.index(k)] for k, _ in acked} == set(accounts)
    # each account's orders are all on its side, so none was ever stopped by self-trade prevention
    assert {(c.account, c.side.value) for c in commands if isinstance(c, Submit)} == set(zip(accounts, sides))
    assert [a for _, a in acked if a.get("cancel_reason") == "SELF_TRADE_PREVENTED"] == []
    books, ref_trades = reference_books(commands)
    balances = reference_balances(commands, books, ref_trades, start, symbol_info)
    assert len(received) >= 50, "the subscriber saw too few trades to judge"

    with server_process("--data-dir", str(tmp_path), "--fsync", "always", port=free_port()) as (url, _), \
            contextlib.ExitStack() as stack:
        assert [demo_key(url, 0), demo_key(url, 1)] == keys  # the demo keys survived the crash
        sessions = {k: stack.enter_context(signed_in(url, i)) for i, k in enumerate(keys)}
        first_key, first = acked[0]
        other = sessions[keys[1 - keys.index(first_key)]]
        assert other.get(f"{url}/order/{first['order_id']}", timeout=5).status_code == 404  # not the other's
        for k, a in acked:
            now = sessions[k].get(f"{url}/order/{a['order_id']}?symbol={a['symbol']}", timeout=5).json()
            assert (now["side"], now["order_type"], now["quantity"], now["price"]) == \
                   (a["side"], a["order_type"], a["quantity"], a["price"])
            if a["status"] in ("filled", "cancelled", "rejected"):
                assert (now["status"], now["filled_quantity"]) == (a["status"], a["filled_quantity"]), (a, now)
            else:  # a resting order may have traded since it was acknowledged
                assert Decimal(now["filled_quantity"]) >= Decimal(a["filled_quantity"])
                assert now["status"] in ("pending", "partially_filled", "filled")
        recovered: dict[int, dict] = {}
        for symbol in SYMBOLS:
            book = requests.get(f"{url}/book/{symbol}?levels=100", timeout=5).json()
            for side, key in (("buy", "bids"), ("sell", "asks")):
                assert [[Decimal(p), Decimal(q)] for p, q in book[key]] == books[symbol].depth(side, 100), (symbol, side)
            before = None
            for _ in range(100):  # page through every trade of the symbol
                q = f"{url}/trades/{symbol}?limit=1000" + (f"&before={before}" if before else "")
                page = requests.get(q, timeout=5).json()["trades"]
                if not page:
                    break
                recovered.update((t["trade_id"], t) for t in page)
                before = page[-1]["trade_id"]
        # every trade, in execution order, is the reference's: same ids, prices, quantities, maker and taker
        assert sorted(recovered) == list(range(1, len(ref_trades) + 1))
        for trade_id, (symbol, price, qty, maker, taker) in enumerate(ref_trades, start=1):
            t = recovered[trade_id]
            assert (t["symbol"], Decimal(t["price"]), Decimal(t["quantity"]), t["maker_order_id"],
                    t["taker_order_id"]) == (symbol, price, qty, maker, taker), trade_id
        # each account's fills are exactly the reference trades its orders took part in, in its role
        for key, account in zip(keys, accounts):
            fills: dict[int, str] = {}
            before = None
            for _ in range(100):
                q = f"{url}/fills?limit=500" + (f"&before={before}" if before else "")
                page = sessions[key].get(q, timeout=5).json()
                fills.update((f["trade_id"], f["liquidity"]) for f in page["fills"])
                before = page["next_before"]
                if before is None:
                    break
            roles = {(True, False): "maker", (False, True): "taker", (True, True): "both"}  # (its maker, its taker)
            expected = {trade_id: roles[(owner[maker] == account, owner[taker] == account)]
                        for trade_id, (_, _, _, maker, taker) in enumerate(ref_trades, start=1)
                        if account in (owner[maker], owner[taker])}
            assert fills == expected, account
        # each account's balances are what its deposits, the reference trades and its resting orders make
        # (so per asset the two accounts' available + locked plus the fees equal the deposits)
        for key, account in zip(keys, accounts):
            assert decimal_balances(sessions[key].get(f"{url}/account", timeout=5).json()["balances"]) == \
                   balances[account], account
        # and every trade the subscriber saw before the kill was durable: it came back the same
        for t in received:
            same = recovered.get(t["trade_id"])
            assert same is not None and (same["price"], same["quantity"], same["taker_order_id"]) == \
                   (t["price"], t["quantity"], t["taker_order_id"]), t
