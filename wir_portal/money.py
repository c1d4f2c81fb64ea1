"""Money helpers: one rounding rule (ROUND_HALF_UP, cents) and one German formatter. Floats are refused."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")


def money(value) -> Decimal:
    """Round a Decimal (or int/str) to cents, half up. Floats are a bug: they are refused."""
    if isinstance(value, float):
        raise TypeError("Money must not be a float; use Decimal.")
    if value is None:
        return Decimal("0.00")
    try:
        return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation as exc:
        raise ValueError(f"Not an amount: {value!r}") from exc


def format_eur(value, *, symbol: bool = True) -> str:
    """1234.5 -> '1.234,50 €' (German grouping and decimal comma)."""
    amount = money(value)
    sign = "-" if amount < 0 else ""
    whole, _, cents = f"{abs(amount):.2f}".partition(".")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    text = f"{sign}{'.'.join(groups)},{cents}"
    return f"{text} €" if symbol else text


def parse_eur(text: str) -> Decimal:
    """Parse German ('1.234,56'), plain ('1234.56') or mixed input into a Decimal; raise ValueError if invalid."""
    cleaned = str(text).strip().replace("€", "").replace(" ", "").replace("\u00a0", "")
    if "," in cleaned:
        cleaned = cleaned.replace(".", "").replace(",", ".")
    try:
        return Decimal(cleaned)
    except InvalidOperation as exc:
        raise ValueError(f"Not an amount: {text!r}") from exc
