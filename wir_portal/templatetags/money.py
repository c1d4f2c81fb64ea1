"""Template filters for money (registered as a builtin in settings.TEMPLATES)."""

from django import template

from wir_portal.money import format_eur

register = template.Library()


@register.filter(name="eur")
def eur(value):
    """{{ amount|eur }} -> '1.234,56 €'; empty for None; floats raise (money is Decimal)."""
    if value is None or value == "":
        return ""
    return format_eur(value)


@register.filter(name="eur_plain")
def eur_plain(value):
    if value is None or value == "":
        return ""
    return format_eur(value, symbol=False)
