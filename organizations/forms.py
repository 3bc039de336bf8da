"""Forms of the register and account pages. Fields only: every rule lives in the services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import DesignationKind, IndicatorType, PermitKind, Role


class DateInput(forms.DateInput):
    input_type = "date"


class DesignationForm(forms.Form):
    enterprise = forms.IntegerField(label=_("Enterprise (id)"), required=False, widget=forms.HiddenInput)
    name = forms.CharField(label=_("Enterprise name"), max_length=120, required=False)
    credit_code = forms.CharField(label=_("Unified social credit code"), max_length=40, required=False)
    county = forms.CharField(label=_("County-level division code of domicile"), max_length=6, required=False)
    group = forms.CharField(label=_("Group (credit code)"), max_length=40, required=False)
    activity = forms.ChoiceField(label=_("Activity"), choices=IndicatorType.choices)
    kind = forms.ChoiceField(label=_("Decision"), choices=DesignationKind.choices)
    document_no = forms.CharField(label=_("Document number"), max_length=64)
    effective_from = forms.DateField(label=_("In force from"), widget=DateInput)
    effective_to = forms.DateField(label=_("Until (suspension only)"), required=False, widget=DateInput)
    basis = forms.CharField(label=_("Basis or reason"), widget=forms.Textarea(attrs={"rows": 3}))


class PermitForm(forms.Form):
    kind = forms.ChoiceField(label=_("Permit"), choices=PermitKind.choices)
    number = forms.CharField(label=_("Permit number"), max_length=64)
    issuer = forms.CharField(label=_("Issuing authority"), max_length=120)
    valid_from = forms.DateField(label=_("Valid from"), widget=DateInput)
    valid_to = forms.DateField(label=_("Valid to"), widget=DateInput)
    scan = forms.FileField(label=_("Scanned copy"), required=False)


class CapacityForm(forms.Form):
    activity = forms.ChoiceField(label=_("Activity"), choices=IndicatorType.choices)
    tonnes = forms.CharField(label=_("Capacity (t REO/year)"), max_length=20)
    effective_from = forms.DateField(label=_("In force from"), widget=DateInput)
    source = forms.CharField(label=_("Source"), max_length=200)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Register file (the Excel template)"))


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"))
    full_name = forms.CharField(label=_("Name"), max_length=150, required=False)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    manages_staff = forms.BooleanField(label=_("Manages the organisation's staff (authorities)"), required=False)


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class AcceptForm(forms.Form):
    username = forms.CharField(label=_("User name"), max_length=150)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(label=_("Password again"), widget=forms.PasswordInput, strip=False)

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password") != data.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
        return data


class PasswordResetRequestForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"))
