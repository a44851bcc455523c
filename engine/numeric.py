"""Exact conversion between Decimal strings at the boundary and integer units inside.

A :class:`Scale` describes one increment (a price tick or a quantity step) as an
integer number of ``10**-decimals`` units.  Parsing never rounds: a value that is
not a whole number of increments is an error, and so is anything that is not a
finite, plain number.  ``float`` is never used.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from engine.errors import RejectReason, ValidationError

# A value with more integer digits than this cannot be a real price or quantity;
# refusing it early keeps '1e999999' from building a gigantic int.
MAX_INTEGER_DIGITS = 24
_DIGITS = frozenset("0123456789")


class Scale:
    """An increment such as tick 0.01 or step 0.00000001, as integer units."""

    __slots__ = ("increment", "decimals", "unit", "_factor", "_cache")

    def __init__(self, increment: Decimal | str) -> None:
        inc = Decimal(str(increment))
        if not inc.is_finite() or inc <= 0:
            raise ValueError(f"increment must be a positive finite number, got {increment!r}")
        exponent = inc.normalize().as_tuple().exponent
        assert isinstance(exponent, int)
        self.decimals = max(0, -exponent)
        self.increment = inc
        self.unit = int(inc.scaleb(self.decimals))  # increment in 10**-decimals units
        self._factor = 10 ** self.decimals
        self._cache: dict[int, str] = {}

    def to_count(self, value: object, what: str) -> int:
        """Return ``value`` as a whole number of increments (may be zero or negative).

        Accepts ``str``, ``int`` (not ``bool``) and ``Decimal``; raises
        :class:`ValidationError` for anything else, for non-finite numbers and for
        values that are not a multiple of the increment.
        """
        units = self._to_units(value, what)
        count, rest = divmod(units, self.unit)
        if rest:
            reason = RejectReason.PRICE_NOT_ON_TICK if what == "price" else RejectReason.QUANTITY_NOT_ON_STEP
            noun = "tick size" if what == "price" else "step size"
            raise ValidationError(reason, f"{what} {value} is not a multiple of the {noun} {self.increment}")
        return count

    def _to_units(self, value: object, what: str) -> int:
        cls = type(value)
        if cls is str:
            text: str = value  # type: ignore[assignment]
            whole, dot, frac = text.partition(".")
            # Fast path: plain ASCII digits such as "30000.15".
            if whole and _DIGITS.issuperset(whole) and (not dot or (frac and _DIGITS.issuperset(frac))):
                if len(whole) > MAX_INTEGER_DIGITS:
                    raise _too_large(what, text)
                decimals = self.decimals
                if len(frac) > decimals:
                    extra = frac[decimals:]
                    if extra.strip("0"):
                        raise _too_fine(what, text, self)
                    frac = frac[:decimals]
                return int(whole) * self._factor + (int(frac) * 10 ** (decimals - len(frac)) if frac else 0)
            if "_" in text or not text.isascii() or text != text.strip():
                raise _not_a_number(what, value)
            try:
                dec = Decimal(text)
            except InvalidOperation:
                raise _not_a_number(what, value) from None
            return self._decimal_units(dec, what, value)
        if cls is int:
            if abs(value) >= 10 ** MAX_INTEGER_DIGITS:  # type: ignore[arg-type]
                raise _too_large(what, value)
            return value * self._factor  # type: ignore[operator]
        if cls is Decimal:
            return self._decimal_units(value, what, value)  # type: ignore[arg-type]
        if value is None:
            raise ValidationError(RejectReason.INVALID_NUMBER, f"{what} is required")
        raise ValidationError(
            RejectReason.INVALID_NUMBER,
            f"{what} must be a decimal string, an integer or a Decimal, not {cls.__name__}",
        )

    def _decimal_units(self, dec: Decimal, what: str, shown: object) -> int:
        if not dec.is_finite():
            raise _not_a_number(what, shown)
        if dec.is_zero():
            return 0
        if dec.adjusted() >= MAX_INTEGER_DIGITS:
            raise _too_large(what, shown)
        scaled = dec.scaleb(self.decimals)
        if scaled != scaled.to_integral_value():
            raise _too_fine(what, shown, self)
        return int(scaled)

    def format(self, count: int) -> str:
        """Return ``count`` increments as a fixed-point decimal string."""
        text = self._cache.get(count)
        if text is None:
            text = format_units(count * self.unit, self.decimals)
            if len(self._cache) >= 65536:
                self._cache.clear()
            self._cache[count] = text
        return text


def format_units(units: int, decimals: int) -> str:
    """Format an integer number of ``10**-decimals`` as a plain decimal string."""
    if decimals == 0:
        return str(units)
    sign = "-" if units < 0 else ""
    digits = str(abs(units)).rjust(decimals + 1, "0")
    return f"{sign}{digits[:-decimals]}.{digits[-decimals:]}"


def _not_a_number(what: str, value: object) -> ValidationError:
    return ValidationError(RejectReason.INVALID_NUMBER, f"{what} {value!r} is not a finite decimal number")


def _too_large(what: str, value: object) -> ValidationError:
    return ValidationError(RejectReason.INVALID_NUMBER, f"{what} {value!r} is too large")


def _too_fine(what: str, value: object, scale: Scale) -> ValidationError:
    reason = RejectReason.PRICE_NOT_ON_TICK if what == "price" else RejectReason.QUANTITY_NOT_ON_STEP
    noun = "tick size" if what == "price" else "step size"
    return ValidationError(reason, f"{what} {value} is not a multiple of the {noun} {scale.increment}")
