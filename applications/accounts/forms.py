"""Forms for registration, invitations and members (crispy-forms, Bootstrap 5, German labels and messages)."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Div, Fieldset, Layout, Submit
from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import PasswordResetForm
from django.urls import reverse_lazy

from applications.accounts.services import SELF_REGISTRATION_KINDS, PersonData
from applications.models import Organisation, Role, validate_iban
from funding.models import District, OrganisationKind
from wir_portal.forms import SingleLineFormMixin


class PasswordPairMixin:
    """Two password fields checked against each other and Django's password validators."""

    def clean_password2(self):
        p1, p2 = self.cleaned_data.get("password1"), self.cleaned_data.get("password2")
        if p1 and p2 and p1 != p2:
            raise forms.ValidationError("Die beiden Passwörter stimmen nicht überein.")
        return p2

    def _validate_password(self, user_like) -> None:
        password = self.cleaned_data.get("password1")
        if password and not self.has_error("password2"):
            try:
                password_validation.validate_password(password, user_like)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)


def _password_fields():
    return (
        forms.CharField(label="Passwort", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                        help_text="Mindestens 10 Zeichen; nicht nur Ziffern und kein gängiges Passwort."),
        forms.CharField(label="Passwort wiederholen", strip=False,
                        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})),
    )


class RegistrationForm(SingleLineFormMixin, PasswordPairMixin, forms.Form):
    first_name = forms.CharField(label="Vorname", max_length=150, widget=forms.TextInput(attrs={"autocomplete": "given-name"}))
    last_name = forms.CharField(label="Nachname", max_length=150, widget=forms.TextInput(attrs={"autocomplete": "family-name"}))
    email = forms.EmailField(label="Ihre E-Mail-Adresse", max_length=150,  # it is also the user name (150)
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}),
                             help_text="An diese Adresse senden wir den Bestätigungslink. Sie ist zugleich Ihr Anmeldename.")
    password1, password2 = _password_fields()

    org_name = forms.CharField(label="Name der Organisation", max_length=200,
                               widget=forms.TextInput(attrs={"autocomplete": "organization"}))
    kind = forms.ChoiceField(
        label="Art der Organisation",
        choices=[("", "Bitte wählen …")] + [(k.value, k.label) for k in OrganisationKind if k in SELF_REGISTRATION_KINDS],
        help_text="Landkreise, kreisfreie Städte und Sonderstatusstädte erhalten ihre Zugänge per Einladung.",
    )
    district = forms.ModelChoiceField(
        label="Landkreis / kreisfreie Stadt des Sitzes", queryset=District.objects.none(), empty_label="Bitte wählen …",
        help_text="Der Sitz Ihrer Organisation bestimmt u. a. das zuständige Verwaltungsgericht.",
    )
    street = forms.CharField(label="Straße und Hausnummer", max_length=200,
                             widget=forms.TextInput(attrs={"autocomplete": "street-address"}))
    postcode = forms.RegexField(label="PLZ", regex=r"^\d{5}$", max_length=5,
                                error_messages={"invalid": "Bitte geben Sie eine fünfstellige Postleitzahl an."},
                                widget=forms.TextInput(attrs={"autocomplete": "postal-code", "inputmode": "numeric"}))
    city = forms.CharField(label="Ort", max_length=100, widget=forms.TextInput(attrs={"autocomplete": "address-level2"}))
    org_email = forms.EmailField(label="E-Mail der Organisation (Kontakt)",
                                 help_text="An diese Adresse gehen Eingangsbestätigungen und Bescheide.")
    phone = forms.CharField(label="Telefon", max_length=40, required=False,
                            widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}))
    iban = forms.CharField(label="IBAN", max_length=42, validators=[validate_iban],
                           help_text="Konto, auf das eine Zuwendung gezahlt wird, z. B. DE02 1203 0000 0000 2020 51.")
    account_holder = forms.CharField(label="Kontoinhaber", max_length=200)
    non_profit = forms.BooleanField(label="Die Organisation ist als gemeinnützig anerkannt.", required=False)
    register_number = forms.CharField(label="Vereinsregister-Nummer", max_length=60, required=False,
                                      help_text="Bei eingetragenen Vereinen, z. B. VR 1234 (Amtsgericht Darmstadt).")
    privacy = forms.BooleanField(
        label="Ich habe die Datenschutzhinweise gelesen.", required=True,
        error_messages={"required": "Bitte bestätigen Sie, dass Sie die Datenschutzhinweise gelesen haben."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["district"].queryset = District.objects.order_by("name")
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Fieldset("Ihre Angaben", Div(Div("first_name", css_class="col-md-6"), Div("last_name", css_class="col-md-6"),
                                         css_class="row"),
                     "email", Div(Div("password1", css_class="col-md-6"), Div("password2", css_class="col-md-6"),
                                  css_class="row")),
            Fieldset("Ihre Organisation", "org_name", "kind", "district", "street",
                     Div(Div("postcode", css_class="col-md-4"), Div("city", css_class="col-md-8"), css_class="row"),
                     Div(Div("org_email", css_class="col-md-6"), Div("phone", css_class="col-md-6"), css_class="row"),
                     "non_profit", "register_number"),
            Fieldset("Bankverbindung", "iban", "account_holder"),
            Fieldset("Datenschutz",
                     HTML('<p>Wie wir Ihre Angaben verarbeiten, lesen Sie in den '
                          f'<a href="{reverse_lazy("pages:datenschutz")}">Datenschutzhinweisen</a>.</p>'),
                     "privacy"),
            Submit("submit", "Registrieren", css_class="btn-primary"),
        )

    def clean_email(self):
        # Whether the address has an account is not said here (issue 16): registration_request mails its owner.
        return self.cleaned_data["email"].strip().lower()

    def clean_iban(self):
        return self.cleaned_data["iban"].replace(" ", "").upper()

    def clean(self):
        super().clean()
        from django.contrib.auth import get_user_model

        data = self.cleaned_data
        self._validate_password(get_user_model()(email=data.get("email", ""), first_name=data.get("first_name", ""),
                                                 last_name=data.get("last_name", "")))
        return data

    def person(self) -> PersonData:
        d = self.cleaned_data
        return PersonData(first_name=d["first_name"], last_name=d["last_name"], email=d["email"], password=d["password1"])

    def organisation_data(self) -> dict:
        d = self.cleaned_data
        return {"name": d["org_name"], "kind": d["kind"], "district": d["district"], "street": d["street"],
                "postcode": d["postcode"], "city": d["city"], "email": d["org_email"], "phone": d["phone"],
                "iban": d["iban"], "account_holder": d["account_holder"], "non_profit": d["non_profit"],
                "register_number": d["register_number"]}


class ResendConfirmationForm(SingleLineFormMixin, forms.Form):
    email = forms.EmailField(label="Ihre E-Mail-Adresse", widget=forms.EmailInput(attrs={"autocomplete": "email"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.add_input(Submit("submit", "Neuen Link senden", css_class="btn-primary"))


class InvitationAcceptForm(SingleLineFormMixin, PasswordPairMixin, forms.Form):
    """For invited people without an account: name and password (the e-mail address comes from the invitation)."""

    first_name = forms.CharField(label="Vorname", max_length=150, widget=forms.TextInput(attrs={"autocomplete": "given-name"}))
    last_name = forms.CharField(label="Nachname", max_length=150, widget=forms.TextInput(attrs={"autocomplete": "family-name"}))
    password1, password2 = _password_fields()

    def __init__(self, *args, email: str, **kwargs):
        self.email = email
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.add_input(Submit("submit", "Konto anlegen und beitreten", css_class="btn-primary"))

    def clean(self):
        super().clean()
        from django.contrib.auth import get_user_model

        d = self.cleaned_data
        self._validate_password(get_user_model()(email=self.email, first_name=d.get("first_name", ""),
                                                 last_name=d.get("last_name", "")))
        return d

    def person(self) -> PersonData:
        d = self.cleaned_data
        return PersonData(first_name=d["first_name"], last_name=d["last_name"], email=self.email, password=d["password1"])


class InvitationForm(SingleLineFormMixin, forms.Form):
    email = forms.EmailField(label="E-Mail-Adresse", max_length=150, widget=forms.EmailInput(attrs={"autocomplete": "off"}))
    role = forms.ChoiceField(label="Rolle", choices=Role.choices, initial=Role.MEMBER,
                             help_text="Nur Zeichnungsberechtigte und die Administration dürfen Anträge einreichen.")

    def __init__(self, *args, organisation: Organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Div(Div("email", css_class="col-md-6"), Div("role", css_class="col-md-6"), css_class="row"),
            Submit("submit", "Einladung senden", css_class="btn-primary"),
        )


class RoleForm(SingleLineFormMixin, forms.Form):
    role = forms.ChoiceField(label="Rolle", choices=Role.choices)


class OutboxPasswordResetForm(PasswordResetForm):
    """Django's password reset, with the mail written to the mail outbox (sent by a worker, retried) instead of
    sent in the request: a mail server that is down gives no error page and loses no mail."""

    def send_mail(self, subject_template_name, email_template_name, context, from_email, to_email,
                  html_email_template_name=None):
        from django.template.loader import render_to_string

        from applications.notices.outbox import mail_queue

        subject = "".join(render_to_string(subject_template_name, context).splitlines())
        text = render_to_string(email_template_name, context)
        html = render_to_string(html_email_template_name, context) if html_email_template_name else ""
        mail_queue(kind="password_reset", to=[to_email], subject=subject, text=text, html=html, sensitive=True)
