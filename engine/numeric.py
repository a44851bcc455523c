"""Exact conversion between Decimal strings at the boundary and integer units inside.

A :class:`Scale` describes one increment (a price tick or a quantity step) as an
integer number of ``10**-decimals`` units.  Parsing never rounds: a value that is
not a whole number of increments is an error, and so is anything that is not a
finite, plain number.  ``float`` is never used.
"""
from __future__ import annotations

import re
from decimal import Decimal

from engine.errors import ResultCode, ValidationError

# A value with more integer digits than this cannot be a real price or quantity;
# refusing it early keeps '1e999999' from building a gigantic int.
MAX_INTEGER_DIGITS = 24
# Longer numeric input is refused before any arithmetic: no real price or quantity needs it.
MAX_TEXT_LENGTH = 64
# A decimal number: sign, digits with an optional point, optional exponent (ASCII only).
_NUMBER = re.compile(r"([+-]?)(?=\.?[0-9])([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]{1,9}))?")


# Entries per memo before it is emptied: prices drift, so a venue meets new ones forever. About half
# a megabyte per memo at most (a few dozen memos in a server); a larger cap bought ~5% on the string
# path of the engine benchmark and cost memory that kept growing for tens of minutes.
_CACHE_LIMIT = 4_096


class Memo(dict):
    """A bounded memo: ``memo[key]`` computes a missing entry with ``compute``.

    Subscripting a dict subclass stays in C on a hit, which is most of the time:
    order streams repeat the same price and quantity strings.
    """

    __slots__ = ("compute",)

    def __init__(self, compute) -> None:  # type: ignore[no-untyped-def]
        super().__init__()
        self.compute = compute

    def __missing__(self, key):  # type: ignore[no-untyped-def]
        value = self.compute(key)  # may raise: errors are not remembered
        if len(self) >= _CACHE_LIMIT:
            self.clear()
        self[key] = value
        return value


class Scale:
    """An increment such as tick 0.01 or step 0.00000001, as integer units."""

    __slots__ = ("increment", "decimals", "unit", "_factor", "text", "half_text", "price_counts", "qty_counts")

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
        # count -> fixed-point text, and (for str inputs) text -> count, memoised.
        self.text: dict[int, str] = Memo(lambda count: format_units(count * self.unit, self.decimals))
        # count / 2 (a mid price may fall on half an increment): one more decimal keeps it exact.
        self.half_text: dict[int, str] = Memo(
            lambda twice: format_trimmed(twice * self.unit * 5, self.decimals + 1, self.decimals))
        self.price_counts: dict[str, int] = Memo(lambda text: self._count(text, "price"))
        self.qty_counts: dict[str, int] = Memo(lambda text: self._count(text, "quantity"))

    def to_count(self, value: object, what: str) -> int:
        """Return ``value`` as a whole number of increments (may be zero or negative).

        Accepts ``str``, ``int`` (not ``bool``) and ``Decimal``; raises
        :class:`ValidationError` for anything else, for non-finite numbers and for
        values that are not a multiple of the increment.
        """
        if type(value) is str:
            return (self.price_counts if what == "price" else self.qty_counts)[value]
        return self._count(value, what)

    def _count(self, value: object, what: str) -> int:
        units = self._to_units(value, what)
        count, rest = divmod(units, self.unit)
        if rest:
            raise _too_fine(what, value, self)
        return count

    def _to_units(self, value: object, what: str) -> int:
        """``value`` in ``10**-decimals`` units, exactly, whatever its number of digits."""
        cls = type(value)
        if cls is str:
            text: str = value  # type: ignore[assignment]
            if len(text) > MAX_TEXT_LENGTH:
                raise ValidationError(ResultCode.INVALID_NUMBER,
                                      f"{what} is {len(text)} characters long; at most {MAX_TEXT_LENGTH} are accepted")
            whole, dot, frac = text.partition(".")
            # Fast path: plain ASCII digits such as "30000.15".
            if whole.isdigit() and whole.isascii() and (not dot or (frac.isdigit() and frac.isascii())):
                if len(whole) > MAX_INTEGER_DIGITS and len(whole.lstrip("0")) > MAX_INTEGER_DIGITS:
                    raise _too_large(what, text)
                decimals = self.decimals
                if len(frac) > decimals:
                    if frac[decimals:].strip("0"):
                        raise _too_fine(what, text, self)
                    frac = frac[:decimals]
                return int(whole) * self._factor + (int(frac) * 10 ** (decimals - len(frac)) if frac else 0)
            match = _NUMBER.fullmatch(text)
            if match is None or not text.isascii():
                raise _not_a_number(what, value)
            sign, whole, frac, exponent = match.groups()
            frac = frac or ""
            digits = (whole or "") + frac
            return self._exact_units(sign == "-", digits, int(exponent or 0) - len(frac), what, value)
        if cls is int:
            if abs(value) >= 10 ** MAX_INTEGER_DIGITS:  # type: ignore[arg-type]
                raise _too_large(what, value)
            return value * self._factor  # type: ignore[operator]
        if cls is Decimal:
            dec: Decimal = value  # type: ignore[assignment]
            if not dec.is_finite():
                raise _not_a_number(what, value)
            sign_bit, digit_tuple, exponent = dec.as_tuple()
            if len(digit_tuple) > MAX_TEXT_LENGTH:
                raise ValidationError(ResultCode.INVALID_NUMBER,
                                      f"{what} has {len(digit_tuple)} digits; at most {MAX_TEXT_LENGTH} are accepted")
            return self._exact_units(sign_bit == 1, "".join(map(str, digit_tuple)), exponent, what, value)  # type: ignore[arg-type]
        if value is None:
            raise ValidationError(ResultCode.INVALID_NUMBER, f"{what} is required")
        raise ValidationError(
            ResultCode.INVALID_NUMBER,
            f"{what} must be a decimal string, an integer or a Decimal, not {cls.__name__}",
        )

    def _exact_units(self, negative: bool, digits: str, exponent: int, what: str, shown: object) -> int:
        """``digits x 10**exponent`` in ``10**-decimals`` units, in integers only (no context, no rounding)."""
        digits = digits.lstrip("0")
        if not digits:
            return 0
        shift = exponent + self.decimals  # units = int(digits) * 10**shift
        if len(digits) + exponent > MAX_INTEGER_DIGITS:  # digits before the point
            raise _too_large(what, shown)
        if shift >= 0:
            units = int(digits) * 10 ** shift
        else:
            significant = digits.rstrip("0")
            if len(digits) - len(significant) < -shift:  # a non-zero digit below one unit
                raise _too_fine(what, shown, self)
            units = int(digits[:shift])
        return -units if negative else units

    def format(self, count: int) -> str:
        """Return ``count`` increments as a fixed-point decimal string. O(1) when seen before."""
        return self.text[count]


def format_units(units: int, decimals: int) -> str:
    """Format an integer number of ``10**-decimals`` as a plain decimal string."""
    if decimals == 0:
        return str(units)
    if units < 0:
        return "-" + format_units(-units, decimals)
    digits = str(units)
    if len(digits) <= decimals:
        digits = digits.rjust(decimals + 1, "0")
    return digits[:-decimals] + "." + digits[-decimals:]


def format_trimmed(units: int, decimals: int, min_decimals: int) -> str:
    """Like :func:`format_units`, without trailing zeros beyond ``min_decimals``. Exact."""
    if units < 0:
        return "-" + format_trimmed(-units, decimals, min_decimals)
    digits = str(units)
    if decimals == 0:
        return digits
    if len(digits) <= decimals:
        digits = digits.rjust(decimals + 1, "0")
    frac = digits[-decimals:].rstrip("0")
    if len(frac) < min_decimals:
        frac = frac.ljust(min_decimals, "0")
    return digits[:-decimals] + "." + frac if frac else digits[:-decimals]


def _shown(value: object) -> str:
    """A number as it was sent: a JSON number as its digits (``1E+400``), a string quoted; at most 40 characters."""
    text = repr(value) if type(value) is str else str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _not_a_number(what: str, value: object) -> ValidationError:
    return ValidationError(ResultCode.INVALID_NUMBER, f"{what} {_shown(value)} is not a finite decimal number")


def _too_large(what: str, value: object) -> ValidationError:
    return ValidationError(ResultCode.INVALID_NUMBER, f"{what} {_shown(value)} is too large")


def _too_fine(what: str, value: object, scale: Scale) -> ValidationError:
    reason = ResultCode.PRICE_NOT_ON_TICK if what == "price" else ResultCode.QUANTITY_NOT_ON_STEP
    noun = "tick size" if what == "price" else "step size"
    return ValidationError(reason, f"{what} {value} is not a multiple of the {noun} {scale.increment:f}")
