"""Accessible names for the inputs Django's admin renders in table cells (tabular inlines, list_editable columns).

There the column header is the only label, which assistive technology does not tie to the inputs (axe: label,
select-name). Each input gets its field's label as aria-label; the inline's delete checkbox "Löschen". Lives on the
ground floor so the funding and applications admins can both use it.
"""

from django.contrib import admin


def _label_fields(form) -> None:
    for name, field in form.fields.items():
        label = "Löschen" if name == "DELETE" else field.label
        if label and "aria-label" not in field.widget.attrs:
            field.widget.attrs["aria-label"] = str(label)


def labelled_formset(formset_class):
    class Labelled(formset_class):
        def add_fields(self, form, index):
            super().add_fields(form, index)
            _label_fields(form)

    Labelled.__name__ = formset_class.__name__
    return Labelled


class LabelledTabularInline(admin.TabularInline):
    def get_formset(self, request, obj=None, **kwargs):
        return labelled_formset(super().get_formset(request, obj, **kwargs))


class LabelledListEditableMixin:
    """For a ModelAdmin with list_editable."""

    def get_changelist_formset(self, request, **kwargs):
        return labelled_formset(super().get_changelist_formset(request, **kwargs))
