"""Forms of the second-factor pages (crispy-forms, Bootstrap 5; codes typed with autocomplete="one-time-code")."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms


class _Crispy(forms.Form):
    submit_label = "Bestätigen"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.add_input(Submit("submit", self.submit_label))


class TotpCodeForm(_Crispy):
    """Six digits from the authenticator app (spaces are ignored)."""

    submit_label = "Code bestätigen"
    code = forms.CharField(
        label="Sechsstelliger Code aus der Authenticator-App", max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false",
                                      "autocapitalize": "off", "pattern": r"[0-9 ]*", "size": 8}),
        error_messages={"required": "Bitte geben Sie den Code aus Ihrer Authenticator-App ein."},
    )

    def clean_code(self):
        code = "".join(self.cleaned_data["code"].split())
        if not (code.isascii() and code.isdigit() and len(code) == 6):
            raise forms.ValidationError("Der Code besteht aus sechs Ziffern, z. B. 123 456.")
        return code


class BackupCodeForm(_Crispy):
    submit_label = "Backup-Code verwenden"
    backup_code = forms.CharField(
        label="Backup-Code", max_length=20,
        help_text="Einer der Codes, die Sie bei der Einrichtung gespeichert haben, z. B. abcd-efgh. Jeder Code gilt "
                  "nur einmal.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "spellcheck": "false",
                                      "autocapitalize": "off", "size": 12}),
        error_messages={"required": "Bitte geben Sie einen Backup-Code ein."},
    )

    def clean_backup_code(self):
        code = "".join(ch for ch in self.cleaned_data["backup_code"].lower() if ch.isalnum())
        if not code.isascii() or len(code) != 8:
            raise forms.ValidationError("Ein Backup-Code hat acht Zeichen (Buchstaben und Ziffern), z. B. abcd-efgh.")
        return code


class ResetForm(_Crispy):
    submit_label = "Alle Faktoren zurücksetzen"
    reason = forms.CharField(
        label="Begründung", max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Wird im Protokoll gespeichert, z. B. „Smartphone verloren, Identität am 12.03. telefonisch "
                  "geprüft“.",
        error_messages={"required": "Bitte geben Sie eine Begründung an."},
    )
