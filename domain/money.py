"""Money is integer cents everywhere; these are the only conversions to and from dollars."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation


def dollars(cents: int) -> str:
    """$1,234.56 for 123456 cents, exactly (no float on the way)."""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}${whole:,}.{part:02d}"


def cents_from_dollars(text: str) -> int:
    """'40000.00' -> 4000000. Refuses anything that is not a whole number of cents."""
    try:
        amount = Decimal(text.strip().lstrip("$").replace(",", ""))
        cents = amount * 100
        if cents != cents.to_integral_value():
            raise ValueError(f"{text!r} has fractions of a cent")
        return int(cents)
    except InvalidOperation:
        raise ValueError(f"{text!r} is not an amount in dollars and cents") from None
