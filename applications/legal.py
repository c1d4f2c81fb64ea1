"""Editable legal text blocks for notices. Seeded once; staff edit them in the admin (each save = new version)."""

from .models import LegalText

DEFAULT_TEXTS: dict[str, tuple[str, str]] = {
    "authority": (
        "Behörde (Briefkopf)",
        "Regierungspräsidium Darmstadt\nDezernat II 25 – Integration, Landesprogramm WIR\n"
        "Wilhelminenstraße 1–3\n64283 Darmstadt",
    ),
    "remedies": (
        "Rechtsbehelfsbelehrung",
        "Gegen diesen Bescheid kann innerhalb eines Monats nach seiner Bekanntgabe Klage beim {court_name}, "
        "{court_address}, erhoben werden. Ein Widerspruchsverfahren findet nicht statt (§ 16a Abs. 1 HessAGVwGO).",
    ),
}


def seed_legal_texts() -> None:
    for key, (title, body) in DEFAULT_TEXTS.items():
        if not LegalText.objects.filter(key=key).exists():
            LegalText.objects.create(key=key, version=1, title=title, body=body)


def current_texts() -> dict[str, LegalText]:
    """The newest version of each text block."""
    texts: dict[str, LegalText] = {}
    for text in LegalText.objects.order_by("key", "-version"):
        texts.setdefault(text.key, text)
    return texts
