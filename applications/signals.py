"""Keeps the staff queue's stored sort key of the "Bereich" column (Application.sort_line) in step with the order
of the funding lines: when Haushalt changes a line's position, the applications of that line follow. (A rule's
year never changes, so Application.sort_year needs no such signal.)"""

from django.db.models.signals import post_save
from django.dispatch import receiver

from applications.models import Application
from funding.models import FundingLine


@receiver(post_save, sender=FundingLine, dispatch_uid="application_sort_line")
def line_order_changed(sender, instance: FundingLine, raw=False, **kwargs):
    if raw:  # loaddata: the applications' keys are loaded as they were
        return
    Application.objects.filter(rule__line=instance).exclude(sort_line=instance.order).update(sort_line=instance.order)
