"""Numbers as the locale writes them (12.345 and 58,1 in Vietnamese), the way Babel's
format_decimal writes them with "#,##0" and "0.0", without its cost: a coverage page of fifty
communes writes a thousand figures."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

from babel import Locale
from babel.numbers import format_decimal, get_decimal_symbol, get_group_symbol

_TENTH = Decimal("0.1")


_SYMBOLS: dict[int, tuple[Locale, tuple[str, str]]] = {}


def _symbols(locale: Locale) -> tuple[str, str]:
    """The locale's group and decimal symbols, found once per Locale object (by identity:
    comparing Locales is itself slow)."""
    known = _SYMBOLS.get(id(locale))
    if known is None or known[0] is not locale:
        known = _SYMBOLS[id(locale)] = (locale, (get_group_symbol(locale),
                                                 get_decimal_symbol(locale)))
    return known[1]


def whole(value, locale: Locale) -> str:
    """A count with the locale's thousands separator."""
    if not isinstance(value, int) or isinstance(value, bool):
        return format_decimal(value, format="#,##0", locale=locale)
    group, _decimal = _symbols(locale)
    return f"{value:,}".replace(",", group)


def one_decimal(value, locale: Locale) -> str:
    """A figure with one decimal, rounded half to even as Babel rounds (from its decimal
    writing: 0.35 is 0.4)."""
    _group, decimal = _symbols(locale)
    rounded = Decimal(str(value)).quantize(_TENTH, rounding=ROUND_HALF_EVEN)
    return f"{rounded:f}".replace(".", decimal)
