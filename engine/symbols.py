"""Per-symbol trading rules and fees."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal

from engine.numeric import Scale, format_units


def _dec(value: Decimal | str | int) -> Decimal:
    dec = value if isinstance(value, Decimal) else Decimal(str(value))
    if not dec.is_finite() or dec < 0:
        raise ValueError(f"expected a finite, non-negative number, got {value!r}")
    return dec


class FeeCalculator:
    """Maker and taker fee rates, applied exactly to a trade value.

    Rates are Decimals (0.001 = 0.1%).  Fees are never rounded: the result has
    the trade value's decimals plus the rate's.
    """

    __slots__ = ("maker_fee_rate", "taker_fee_rate", "_maker_units", "_taker_units", "decimals", "same_rates")

    def __init__(self, maker_fee_rate: Decimal | str = "0.001", taker_fee_rate: Decimal | str = "0.001") -> None:
        self.maker_fee_rate = _dec(maker_fee_rate)
        self.taker_fee_rate = _dec(taker_fee_rate)
        rate_scale = max(_decimals(self.maker_fee_rate), _decimals(self.taker_fee_rate))
        self.decimals = rate_scale
        self._maker_units = int(self.maker_fee_rate.scaleb(rate_scale))
        self._taker_units = int(self.taker_fee_rate.scaleb(rate_scale))
        self.same_rates = self._maker_units == self._taker_units

    def fee_units(self, value_units: int, is_maker: bool) -> int:
        """Fee on ``value_units`` (at some scale d) in units of scale d + ``decimals``."""
        return value_units * (self._maker_units if is_maker else self._taker_units)

    def calculate_fee(self, trade_value: Decimal | str, is_maker: bool) -> Decimal:
        """Fee on a Decimal trade value, exactly."""
        return _dec(trade_value) * (self.maker_fee_rate if is_maker else self.taker_fee_rate)


def _plain(value: object) -> str:
    """A Decimal as plain digits, never exponent notation ('0.00000001', not '1E-8')."""
    return format(value, "f")


def _decimals(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    assert isinstance(exponent, int)
    return max(0, -exponent)


@dataclass
class SymbolConfig:
    """Trading rules of one symbol.

    Prices must be a multiple of ``tick_size`` and quantities of ``step_size``;
    ``min_notional`` (price x quantity) applies to priced orders.  Fee rates
    default to the engine's.
    """

    symbol: str
    tick_size: Decimal | str = Decimal("0.01")
    min_quantity: Decimal | str = Decimal("0.00000001")
    max_quantity: Decimal | str = Decimal("1000000")
    min_notional: Decimal | str = Decimal("0")
    step_size: Decimal | str = Decimal("0.00000001")
    maker_fee_rate: Decimal | str | None = None
    taker_fee_rate: Decimal | str | None = None
    price_scale: Scale = field(init=False, repr=False)
    qty_scale: Scale = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.symbol, str) or not self.symbol or len(self.symbol) > 32:
            raise ValueError(f"symbol must be a non-empty string of at most 32 characters, got {self.symbol!r}")
        self.tick_size = _dec(self.tick_size)
        self.step_size = _dec(self.step_size)
        self.min_quantity = _dec(self.min_quantity)
        self.max_quantity = _dec(self.max_quantity)
        self.min_notional = _dec(self.min_notional)
        self.price_scale = Scale(self.tick_size)
        self.qty_scale = Scale(self.step_size)
        if self.min_quantity > self.max_quantity:
            raise ValueError(f"{self.symbol}: min_quantity exceeds max_quantity")

    @property
    def min_lots(self) -> int:
        return max(1, int((self.min_quantity / self.step_size).to_integral_value(ROUND_CEILING)))  # type: ignore[operator]

    @property
    def max_lots(self) -> int:
        return int(self.max_quantity / self.step_size)  # type: ignore[operator]

    @property
    def value_decimals(self) -> int:
        """Decimals of price x quantity."""
        return self.price_scale.decimals + self.qty_scale.decimals

    @property
    def min_notional_units(self) -> int:
        """``min_notional`` in units of ``value_decimals``, rounded up."""
        scaled = self.min_notional.scaleb(self.value_decimals)  # type: ignore[union-attr]
        return int(scaled.to_integral_value(ROUND_CEILING))

    def value_units(self, price_ticks: int, qty_lots: int) -> int:
        """price x quantity in units of ``value_decimals``."""
        return price_ticks * self.price_scale.unit * qty_lots * self.qty_scale.unit

    def format_value(self, units: int) -> str:
        return format_units(units, self.value_decimals)

    def to_dict(self) -> dict[str, object]:
        return {
            "symbol": self.symbol,
            "tick_size": _plain(self.tick_size),
            "step_size": _plain(self.step_size),
            "min_quantity": _plain(self.min_quantity),
            "max_quantity": _plain(self.max_quantity),
            "min_notional": _plain(self.min_notional),
            "price_decimals": self.price_scale.decimals,
            "quantity_decimals": self.qty_scale.decimals,
        }
