"""The order mix: symbols, types and prices near each book, as ready-to-send JSON bodies."""
from __future__ import annotations

import json
import random
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_UP, Decimal

# Used when a book is empty: a plausible price for the bundled presets.
DEFAULT_PRICES = {
    "BTC-USDT": "30000", "ETH-USDT": "2000", "BNB-USDT": "300", "SOL-USDT": "100",
    "EUR-USD": "1.085", "GBP-USD": "1.27", "USD-JPY": "150",
}
DEFAULT_MIX = {"limit": 70, "market": 10, "ioc": 10, "fok": 10}


@dataclass(frozen=True)
class SymbolInfo:
    symbol: str
    tick: Decimal
    step: Decimal
    min_qty: Decimal
    min_notional: Decimal
    reference: Decimal


def parse_mix(spec: str | None) -> dict[str, int]:
    """'limit=70,market=10,ioc=10,fok=10' -> weights."""
    if not spec:
        return dict(DEFAULT_MIX)
    mix = {}
    for part in spec.split(","):
        name, _, weight = part.partition("=")
        if name.strip() not in DEFAULT_MIX or not weight.strip().isdigit():
            raise ValueError(f"bad mix entry {part!r}: expected type=weight with type in {', '.join(DEFAULT_MIX)}")
        mix[name.strip()] = int(weight)
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
        self.spread = spread

    def _quantity(self, info: SymbolInfo, price: Decimal) -> Decimal:
        notional = max(info.min_notional * Decimal("1.5"), Decimal(self.rng.randint(15, 2000)))
        qty = (notional / price).quantize(info.step, rounding=ROUND_UP) if price > 0 else info.min_qty
        qty = max(qty, info.min_qty)
        return (qty / info.step).to_integral_value(ROUND_UP) * info.step

    def body(self) -> dict:
        info = self.rng.choice(self.symbols)
        order_type = self.rng.choices(self.types, self.weights)[0]
        side = "buy" if self.rng.random() < 0.5 else "sell"
        offset = Decimal(self.rng.uniform(-1, 1)).quantize(Decimal("0.0001")) * self.spread
        price = ((info.reference * (1 + offset)) / info.tick).to_integral_value(ROUND_DOWN) * info.tick
        price = max(price, info.tick)
        body = {"symbol": info.symbol, "side": side, "order_type": order_type,
                "quantity": format(self._quantity(info, price).normalize(), "f")}
        if order_type != "market":
            body["price"] = format(price, "f")
        return body

    def pool(self, size: int) -> list[bytes]:
        """Pre-encoded bodies, so that building them costs nothing while sending."""
        return [json.dumps(self.body(), separators=(",", ":")).encode() for _ in range(size)]
