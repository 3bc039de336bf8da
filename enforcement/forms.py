from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from organizations.models import IndicatorType

from .models import CaseOrigin, ViolationType


class CaseOpenForm(forms.Form):
    enterprise = forms.TypedChoiceField(label=_("Enterprise"), coerce=int, required=False)
    origin = forms.ChoiceField(label=_("Origin"), choices=CaseOrigin.choices)
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    flag_ids = forms.TypedMultipleChoiceField(label=_("Flags"), coerce=int, required=False,
                                              widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, enterprises=(), flags=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enterprise"].choices = [("", "—")] + [(e.pk, e.name) for e in enterprises]
        self.fields["flag_ids"].choices = [(f.pk, str(f)) for f in flags]


class OrderCorrectionForm(forms.Form):
    order = forms.CharField(label=_("What must be corrected"), widget=forms.Textarea(attrs={"rows": 3}))
    deadline = forms.DateField(label=_("Correct by"), widget=forms.DateInput(attrs={"type": "date"}))


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Correction made by the enterprise"), widget=forms.Textarea(attrs={"rows": 3}))


class CloseForm(forms.Form):
    comment = forms.CharField(label=_("Reason for closing"), widget=forms.Textarea(attrs={"rows": 2}))


class PenaltyForm(forms.Form):
    violation_type = forms.ChoiceField(label=_("Violation type"), choices=ViolationType.choices)
    violation_date = forms.DateField(label=_("Violation date"), widget=forms.DateInput(attrs={"type": "date"}))
    legal_basis = forms.CharField(label=_("Legal basis"), required=False,
                                  help_text=_("Empty: the legal basis of the rule in force on the violation date."),
                                  widget=forms.Textarea(attrs={"rows": 2}))
    facts = forms.CharField(label=_("Facts"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    fine_cny = forms.DecimalField(label=_("Fine (CNY)"), min_value=0, max_digits=14, decimal_places=2)
    illegal_income_cny = forms.DecimalField(label=_("Illegal income (CNY)"), min_value=0, max_digits=14,
                                            decimal_places=2, required=False)
    use_default_deductions = forms.BooleanField(
        label=_("Use the default deduction of the rule in force"), required=False, initial=False)


def _deduction_label(type_label) -> str:
    return str(_("Next-year deduction, %(type)s (t REO)") % {"type": type_label})


for _t in IndicatorType:
    # lazy: the label is put together in the language of the request, not the one active at import time
    PenaltyForm.base_fields[f"deduct_{_t.value}"] = forms.DecimalField(
        label=lazy(_deduction_label, str)(_t.label), min_value=0, max_digits=14,
        decimal_places=3, required=False)


class StatementForm(forms.Form):
    text = forms.CharField(label=_("Statement and defence"), widget=forms.Textarea(attrs={"rows": 5}),
                           required=False)
    waived = forms.BooleanField(label=_("We waive the right to state our case"), required=False)
    files = forms.FileField(label=_("Attachment"), required=False)  # type: ignore[assignment]  # a form field, not BaseForm.files (the metaclass moves it to base_fields)


class DecideForm(forms.Form):
    consideration = forms.CharField(label=_("How the statement was considered (grounds of the decision)"),
                                    widget=forms.Textarea(attrs={"rows": 4}))
    fine_cny = forms.DecimalField(label=_("Fine decided (yuan)"), required=False, min_value=0, max_digits=14,
                                  decimal_places=2,
                                  help_text=_("Leave as notified, or lower it in view of the statement; a statement "
                                              "never leads to a heavier penalty."))


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("Reason for rejecting"), widget=forms.Textarea(attrs={"rows": 2}))


class ResolveForm(forms.Form):
    comment = forms.CharField(label=_("Resolution"), max_length=2000)
