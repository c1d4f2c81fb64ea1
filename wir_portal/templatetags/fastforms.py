"""``{{ field|fast_widget }}``: a form field's widget as Django renders it, without a template per widget.

The applicant's cost plan has three inputs per cost line and a Kostenart <select> whose every <option> Django
renders through its own template include: at 20–40 lines that was ~75 % of the edit page's time. For the plain
widgets used there (TextInput, NumberInput, Select without option groups) the same HTML is built in Python from
Django's own widget context (get_context: the same attributes, values, selection); every other widget, and any
widget with a custom template, goes the normal way. tests/applications/apply/test_fast_widget.py compares both
outputs for filled, empty and invalid forms.
"""

from django import forms, template
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

register = template.Library()

_INPUT_TEMPLATE = {forms.TextInput: "django/forms/widgets/text.html",
                   forms.NumberInput: "django/forms/widgets/number.html"}
_SELECT_TEMPLATE = "django/forms/widgets/select.html"
_OPTION_TEMPLATE = "django/forms/widgets/select_option.html"


def _attrs(attrs: dict) -> str:
    """django/forms/widgets/attrs.html: False left out, True as a bare name, everything else escaped."""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            parts.append(f" {conditional_escape(name)}")
        else:
            parts.append(f' {conditional_escape(name)}="{conditional_escape(str(value))}"')
    return "".join(parts)


def _render(widget_context: dict, kind: str) -> str:
    w = widget_context
    if kind == "input":
        value = "" if w["value"] is None else f' value="{conditional_escape(str(w["value"]))}"'
        return f'<input type="{conditional_escape(w["type"])}" name="{conditional_escape(w["name"])}"{value}{_attrs(w["attrs"])}>'
    options = []
    for group_name, group_choices, _index in w["optgroups"]:
        if group_name:
            return ""  # option groups: not built here
        for option in group_choices:
            if option["template_name"] != _OPTION_TEMPLATE:
                return ""
            options.append(f'\n  <option value="{conditional_escape(str(option["value"]))}"{_attrs(option["attrs"])}>'
                           f'{conditional_escape(option["label"])}</option>\n')  # the option template's own newline
    return f'<select name="{conditional_escape(w["name"])}"{_attrs(w["attrs"])}>{"".join(options)}\n</select>'


@register.filter
def fast_widget(bound_field):
    """The field's widget HTML, equal to ``{{ field }}`` (BoundField.as_widget) for the widgets built here."""
    widget = bound_field.field.widget
    kind = None
    if type(widget) in _INPUT_TEMPLATE and widget.template_name == _INPUT_TEMPLATE[type(widget)]:
        kind = "input"
    elif type(widget) is forms.Select and widget.template_name == _SELECT_TEMPLATE \
            and widget.option_template_name == _OPTION_TEMPLATE:
        kind = "select"
    if kind is None or bound_field.field.localize:
        return bound_field.as_widget()
    # BoundField.as_widget's preparation of the attributes, then the widget's own context (values, selection).
    attrs = bound_field.build_widget_attrs({}, widget)
    if bound_field.auto_id and "id" not in widget.attrs:
        attrs.setdefault("id", bound_field.auto_id)
    context = widget.get_context(bound_field.html_name, bound_field.value(), attrs)["widget"]
    html = _render(context, kind)
    return mark_safe(html) if html else bound_field.as_widget()


