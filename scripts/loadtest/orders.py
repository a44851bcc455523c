"""The order mix: symbols, types and prices near each book, as ready-to-send JSON bodies."""
from __future__ import annotations

import json
import random
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_UP, Decimal
from typing import Callable

# Used when a book is empty: a plausible price for the bundled presets.
DEFAULT_PRICES = {
    "BTC-USDT": "30000", "ETH-USDT": "2000", "BNB-USDT": "300", "SOL-USDT": "100",
    "EUR-USD": "1.085", "GBP-USD": "1.27", "USD-JPY": "150",
}
DEFAULT_MIX = {"limit": 70, "market": 10, "ioc": 10, "fok": 10}
ORDER_TYPES = ("limit", "market", "ioc", "fok")
KINDS = (*ORDER_TYPES, "cancel")  # cancel: one of the tester's own resting orders


@dataclass(frozen=True)
class SymbolInfo:
    symbol: str
    tick: Decimal
    step: Decimal
    min_qty: Decimal
    min_notional: Decimal
    reference: Decimal


def parse_mix(spec: str | None) -> dict[str, int]:
    """'limit=60,market=5,ioc=5,fok=5,cancel=25' -> weights."""
    if not spec:
        return dict(DEFAULT_MIX)
    mix = {}
    for part in spec.split(","):
        name, _, weight = part.partition("=")
        if name.strip() not in KINDS or not weight.strip().isdigit():
            raise ValueError(f"bad mix entry {part!r}: expected kind=weight with kind in {', '.join(KINDS)}")
        mix[name.strip()] = int(weight)
    if not any(mix.get(t, 0) > 0 for t in ORDER_TYPES):
        raise ValueError(f"the mix {spec!r} has no orders: give at least one of {', '.join(ORDER_TYPES)} a weight")
    return mix


def symbol_info(symbol_cfg: dict, bbo: dict | None) -> SymbolInfo:
    ref = None
    if bbo:
        if bbo.get("mid"):
            ref = Decimal(bbo["mid"])
        elif bbo.get("bid") or bbo.get("ask"):
            ref = Decimal(bbo.get("bid") or bbo.get("ask"))
    if ref is None:
        ref = Decimal(DEFAULT_PRICES.get(symbol_cfg["symbol"], "100"))
    return SymbolInfo(symbol_cfg["symbol"], Decimal(symbol_cfg["tick_size"]), Decimal(symbol_cfg["step_size"]),
                      Decimal(symbol_cfg["min_quantity"]), Decimal(symbol_cfg["min_notional"]), ref)


class OrderMix:
    """Makes order bodies: prices uniform within ±spread of the reference, on tick;
    quantities on step, at least the minimums."""

    def __init__(self, symbols: list[SymbolInfo], mix: dict[str, int], seed: int = 42, spread: Decimal = Decimal("0.005")) -> None:
        if not symbols:
            raise ValueError("no symbols to trade")
        self.symbols = symbols
        self.rng = random.Random(seed)
        self.types = list(mix)
        self.weights = [mix[t] for t in self.types]
        self.order_types = [t for t in self.types if t != "cancel"]
        self.order_weights = [mix[t] for t in self.order_types]
        self.spread = spread

    def _quantity(self, info: SymbolInfo, price: Decimal) -> Decimal:
        notional = max(info.min_notional * Decimal("1.5"), Decimal(self.rng.randint(15, 2000)))
        qty = (notional / price).quantize(info.step, rounding=ROUND_UP) if price > 0 else info.min_qty
        qty = max(qty, info.min_qty)
        return (qty / info.step).to_integral_value(ROUND_UP) * info.step

    def body(self, order_type: str | None = None) -> dict:
        info = self.rng.choice(self.symbols)
        order_type = order_type or self.rng.choices(self.order_types, self.order_weights)[0]
        side = "buy" if self.rng.random() < 0.5 else "sell"
        offset = Decimal(self.rng.uniform(-1, 1)).quantize(Decimal("0.0001")) * self.spread
        price = ((info.reference * (1 + offset)) / info.tick).to_integral_value(ROUND_DOWN) * info.tick
        price = max(price, info.tick)
        body = {"symbol": info.symbol, "side": side, "order_type": order_type,
                "quantity": format(self._quantity(info, price).normalize(), "f")}
        if order_type != "market":
            body["price"] = format(price, "f")
        return body

    def pool(self, size: int) -> list[bytes | None]:
        """Pre-encoded order bodies, so that building them costs nothing while sending;
        ``None`` where the mix says to cancel one of the tester's own resting orders."""
        return self.pool_with_meta(size)[0]

    def pool_with_meta(self, size: int) -> tuple[list[bytes | None], list[Meta | None]]:
        """:meth:`pool`, and for each order what could make it trade: ``(symbol, is a buy, price)``."""
        out: list[bytes | None] = []
        meta: list[Meta | None] = []
        for _ in range(size):
            kind = self.rng.choices(self.types, self.weights)[0]
            if kind == "cancel":
                out.append(None)
                meta.append(None)
                continue
            body = self.body(kind)
            out.append(json.dumps(body, separators=(",", ":")).encode())
            meta.append((body["symbol"], body["side"] == "buy", float(body["price"]) if "price" in body else None))
        return out, meta


# What decides whether two orders can trade: (symbol, is a buy, limit price or None for a market order).
Meta = tuple[str, bool, "float | None"]


def crosses(taker_buys: bool, taker_price: float | None, maker_buys: bool | None, maker_price: float | None) -> bool:
    """Whether an incoming order could trade with a resting one of the same symbol (unknown: assume so)."""
    if maker_buys is None:
        return True
    if taker_buys == maker_buys:
        return False
    if taker_price is None or maker_price is None:
        return True
    return taker_price >= maker_price if taker_buys else taker_price <= maker_price


class InFlight:
    """The tester's orders and cancels sent and not yet answered, by symbol, so that a cancel
    never races one of the tester's own fills: a resting order that an order in flight could
    fill is not cancelled now, and an order that could fill one whose cancel is in flight is
    not sent now (another of the pool goes instead).  Without this, under load, a cancel meets
    an order already filled by a taker whose answer was still on its way, and answers 404."""

    def __init__(self) -> None:
        self.orders: dict[str, list[tuple[bool, float | None]]] = {}
        self.cancels: dict[str, list[tuple[bool | None, float | None]]] = {}

    @staticmethod
    def _add(table: dict, symbol: str, entry: tuple) -> tuple:
        table.setdefault(symbol, []).append(entry)
        return table, symbol, entry

    def add_order(self, symbol: str, buys: bool, price: float | None) -> tuple:
        return self._add(self.orders, symbol, (buys, price))

    def add_cancel(self, symbol: str, buys: bool | None, price: float | None) -> tuple:
        return self._add(self.cancels, symbol, (buys, price))

    @staticmethod
    def release(token: tuple) -> None:
        table, symbol, entry = token
        table[symbol].remove(entry)

    def order_safe(self, symbol: str, buys: bool, price: float | None) -> bool:
        """No cancel in flight names an order this one could fill."""
        return not any(crosses(buys, price, v_buys, v_price) for v_buys, v_price in self.cancels.get(symbol, ()))

    def victim_safe(self, symbol: str, buys: bool | None, price: float | None) -> bool:
        """No order in flight could fill this resting one."""
        return not any(crosses(o_buys, o_price, buys, price) for o_buys, o_price in self.orders.get(symbol, ()))


EARLY_FILLS_KEPT = 10_000  # fills of orders whose own answer has not been read yet (bounded: oldest dropped)


class LiveOrders:
    """The tester's own resting orders, learned from the answers, so that a cancel names a
    live one, sent with the key of the account that placed it (another account's cancel
    answers 404). Add, fill and take are O(1); a take picks one at random and forgets it.

    Answers come back over many connections, so the answer of an order that filled a resting
    one can be read before the resting order's own answer: such fills are kept until that
    answer comes, which then rests only with what is left."""

    def __init__(self, seed: int = 42) -> None:
        self.rng = random.Random(seed)
        self.ids: list[int] = []
        self.where: dict[int, int] = {}                           # order_id -> index in ids
        # order_id -> (symbol, remaining quantity, owner, is a buy, price): None where the answer did not say
        self.rest: dict[int, tuple[str, Decimal, int, bool | None, float | None]] = {}
        self.early: dict[int, Decimal] = {}                       # order_id -> quantity filled before its answer came

    def __len__(self) -> int:
        return len(self.ids)

    def learn(self, answer: dict, owner: int = 0) -> None:
        """Take in one POST /order answer, sent by account ``owner`` (an index into the run's
        accounts): its own order if it rests, and what its trades filled."""
        for trade in answer.get("trades", ()):
            maker_id = trade["maker_order_id"]
            maker = self.rest.get(maker_id)
            if maker is not None:
                left = maker[1] - Decimal(trade["quantity"])
                if left > 0:
                    self.rest[maker_id] = (maker[0], left, *maker[2:])
                else:
                    self._forget(maker_id)
            else:  # not known to rest (yet): its own answer may still be on its way
                early = self.early
                early[maker_id] = early.get(maker_id, Decimal(0)) + Decimal(trade["quantity"])
                if len(early) > EARLY_FILLS_KEPT:
                    del early[next(iter(early))]
        oid = answer.get("order_id")
        filled_early = self.early.pop(oid, None) if oid is not None else None
        if answer.get("status") in ("pending", "partially_filled") and oid is not None:
            left = Decimal(answer["remaining_quantity"]) - (filled_early or 0)
            if left <= 0:
                return  # filled by orders whose answers came first: it no longer rests
            self.where[oid] = len(self.ids)
            self.ids.append(oid)
            side, price = answer.get("side"), answer.get("price")
            self.rest[oid] = (answer["symbol"], left, owner, None if side is None else side == "buy",
                              None if price is None else float(price))

    def owner(self, oid: int) -> int | None:
        """The account (index) that placed a resting order, or None if it does not rest."""
        found = self.rest.get(oid)
        return found[2] if found is not None else None

    def take_owned(self, safe: Callable[[str, bool | None, float | None], bool] | None = None,
                   tries: int = 8) -> tuple[str, int, int, bool | None, float | None] | None:
        """A resting order to cancel, forgotten from now on: ``(symbol, order id, owner, is a buy, price)``.

        With ``safe``, only an order for which ``safe(symbol, is a buy, price)`` holds: up to
        ``tries`` random picks, else None (the others stay)."""
        ids = self.ids
        for _ in range(tries if safe is not None else 1):
            if not ids:
                return None
            oid = ids[self.rng.randrange(len(ids))]
            symbol, _, owner, buys, price = self.rest[oid]
            if safe is None or safe(symbol, buys, price):
                self._forget(oid)
                return symbol, oid, owner, buys, price
        return None

    def take(self) -> tuple[str, int] | None:
        taken = self.take_owned()
        return None if taken is None else (taken[0], taken[1])

    def _forget(self, oid: int) -> None:
        i = self.where.pop(oid)
        last = self.ids.pop()
        if last != oid:
            self.ids[i] = last
            self.where[last] = i
        del self.rest[oid]
