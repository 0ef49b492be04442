"""Money is integer cents everywhere; these are the only conversions to and from dollars."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation


def dollars(cents: int) -> str:
    """$1,234.56 for 123456 cents, exactly (no float on the way)."""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}${whole:,}.{part:02d}"


def cents_from_dollars(text: str) -> int:
    """'40000.00' -> 4000000, and what `dollars` shows ('-$1,234.56') back to its cents.
    Refuses anything that is not a whole number of cents below a trillion dollars."""
    raw = text.strip()
    sign = "-" if raw.startswith("-") else ""
    try:
        amount = Decimal(sign + raw.removeprefix("-").lstrip("$").replace(",", ""))
    except InvalidOperation:
        raise ValueError(f"{text!r} is not an amount in dollars and cents") from None
    # Infinity, NaN and 1e400000000 parse as decimals but are no amount.
    if not amount.is_finite() or (amount and amount.adjusted() >= 12):
        raise ValueError(f"{text!r} is not an amount in dollars and cents")
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise ValueError(f"{text!r} has fractions of a cent")
    return int(cents)
