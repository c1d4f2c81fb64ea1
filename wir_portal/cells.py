"""Spreadsheet cells from people's text: one rule against formula injection for every CSV/XLSX the portal writes
(reports' exports, the treasury CSV of payment runs)."""

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: str) -> str:
    """A text cell that a spreadsheet would run as a formula gets a leading apostrophe; other text is unchanged.

    Leading whitespace is looked through (" =1+1" is evaluated by some spreadsheet programs too)."""
    if value.lstrip(" ").startswith(FORMULA_START) or value.startswith(FORMULA_START):
        return "'" + value
    return value
