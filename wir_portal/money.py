"""Money helpers: one rounding rule (ROUND_HALF_UP, cents) and one German formatter. Floats are refused."""

import re
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


class MoneyParseError(ValueError):
    """Input that is not an amount (or not an unambiguous one). `message` is the German text for the user."""

    def __init__(self, message: str, *, code: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.code = code


# The largest amount any money column holds (DecimalField max_digits=12, decimal_places=2).
MAX_AMOUNT = Decimal("9999999999.99")
MAX_INPUT_LENGTH = 30  # characters after removing spaces and the euro sign

_SPACES = re.compile(r"[\s\u00a0\u202f\u2009]+")
_PLAIN = re.compile(r"[0-9]+")
_COMMA_DECIMAL = re.compile(r"(?P<int>[0-9]{1,3}(?:\.[0-9]{3})+|[0-9]+),(?P<frac>[0-9]+)")
_DOT_THOUSANDS = re.compile(r"[0-9]{1,3}(?:\.[0-9]{3})+")
_DOT_DECIMAL = re.compile(r"(?P<int>[0-9]+)\.(?P<frac>[0-9]{1,2})")
_INVALID = "Bitte geben Sie einen Betrag in Euro ein, z. B. 40.000,00 oder 1.234,56."


def parse_eur(text) -> Decimal:
    """The one money parser of the portal (every form, applicant and staff): text -> Decimal, or MoneyParseError
    with a German message. Never a silent factor of 1,000, never NaN/Infinity/exponents:

    - '40.000' = '40.000,00' = '40000' = 40000; '1.234.567,8' = 1234567.80 (dots group thousands)
    - '1,5' = '1,50' = 1.50 (the comma is the decimal separator); '1234.56' and '12.5' = a decimal point (a dot
      followed by one or two digits cannot be a thousands separator; the same rule as static/js/plan.js)
    - refused as ambiguous: '1,234' (German 1,234 € or English 1,234 €?), '1234.567', '1,234.56' (English
      grouping); refused: more than two decimals, 'NaN', 'Infinity', '1e308', more than 10 digits before the comma.
    Only ASCII digits count ('٤٠' is refused); a leading '-' gives a negative amount (forms refuse those).
    """
    raw = "" if text is None else str(text)
    cleaned = _SPACES.sub("", raw).replace("€", "").replace("\u2212", "-")
    if cleaned.upper().endswith("EUR"):
        cleaned = cleaned[:-3]
    if len(cleaned) > MAX_INPUT_LENGTH:
        raise MoneyParseError("Der Betrag ist zu lang. Bitte geben Sie höchstens 9.999.999.999,99 € an.",
                              code="too_large")
    sign = ""
    if cleaned[:1] in ("-", "+"):
        sign, cleaned = ("-" if cleaned[0] == "-" else ""), cleaned[1:]
    if not cleaned:
        raise MoneyParseError(_INVALID)
    if _PLAIN.fullmatch(cleaned):
        whole, frac = cleaned, ""
    elif m := _COMMA_DECIMAL.fullmatch(cleaned):
        whole, frac = m["int"].replace(".", ""), m["frac"]
        if len(frac) == 3 and "." not in m["int"]:
            raise MoneyParseError(
                f"„{raw.strip()}“ ist mehrdeutig. Bitte schreiben Sie z. B. {whole}.{frac},00 (Tausenderpunkt) "
                f"oder {whole},{frac[:2]} (Cent nach dem Komma).", code="ambiguous")
    elif _DOT_THOUSANDS.fullmatch(cleaned):
        whole, frac = cleaned.replace(".", ""), ""
    elif m := _DOT_DECIMAL.fullmatch(cleaned):
        whole, frac = m["int"], m["frac"]
    elif re.fullmatch(r"[0-9]+\.[0-9]{3,}", cleaned) or re.fullmatch(r"[0-9.,]+", cleaned):
        raise MoneyParseError(
            f"„{raw.strip()}“ ist mehrdeutig. Bitte schreiben Sie Beträge mit Tausenderpunkt und Komma, "
            "z. B. 1.234,56.", code="ambiguous")
    else:
        raise MoneyParseError(_INVALID)
    if len(frac) > 2:
        raise MoneyParseError("Bitte geben Sie höchstens zwei Nachkommastellen (Cent) an.", code="decimals")
    whole = whole.lstrip("0") or "0"
    if len(whole) > 10:
        raise MoneyParseError("Der Betrag ist zu groß. Bitte geben Sie höchstens 9.999.999.999,99 € an.",
                              code="too_large")
    return Decimal(f"{sign}{whole}.{frac or '0'}")
