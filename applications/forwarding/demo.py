"""Demo data of the Weiterleitung (issue 12): the Vielfaltszentrum Gießen passed its 2026 Mikroprojekte on."""

import datetime
from decimal import Decimal

from django.contrib.auth import get_user_model

from applications.forwarding.services import forwarding_add
from applications.models import Application, Forwarding


def seed_forwarding_demo() -> None:
    app = Application.objects.filter(title="[Demo] WIR-Vielfaltszentrum Landkreis Gießen 2026–2030").first()
    if app is None or Forwarding.objects.filter(application=app).exists():
        return
    user = get_user_model().objects.get(email="giessen@demo.wir")
    for name, address, amount, purpose, day in (
        ("Interkultureller Frauentreff Gießen e. V.", "Walltorstraße 17, 35390 Gießen", "2500.00",
         "Begegnungscafé für Frauen mit und ohne Migrationsgeschichte", datetime.date(2026, 3, 2)),
        ("Sportverein Lich-Vielfalt e. V.", "Am Sportplatz 3, 35423 Lich", "2500.00",
         "Offenes Fußballtraining für Kinder aus Erstaufnahme und Nachbarschaft", datetime.date(2026, 4, 15)),
    ):
        forwarding_add(application=app, user=user, year=2026, recipient_name=name, recipient_address=address,
                       amount=Decimal(amount), purpose=purpose, forwarded_on=day)
