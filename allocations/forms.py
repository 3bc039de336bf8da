from decimal import Decimal, InvalidOperation

from django import forms
from django.utils.translation import gettext_lazy as _

from organizations.models import Enterprise, EnterpriseGroup, IndicatorType
from quota_portal.quantities import TONNES_FORM, YEAR_MAX, YEAR_MIN

TONNES = TONNES_FORM


class PlanForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=YEAR_MIN, max_value=YEAR_MAX)
    indicator_type = forms.ChoiceField(label=_("Indicator type"), choices=IndicatorType.choices)
    total_t = forms.DecimalField(label=_("National total (t REO)"), min_value=Decimal(0), **TONNES)
    reserve_t = forms.DecimalField(label=_("Reserve held back (t REO)"), min_value=Decimal(0), initial=0, **TONNES)
    basis = forms.CharField(label=_("Basis notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


class PlanRevisionForm(forms.Form):
    total_t = forms.DecimalField(label=_("Revised national total (t REO)"), min_value=Decimal(0), **TONNES)
    reserve_t = forms.DecimalField(label=_("Reserve held back (t REO)"), min_value=Decimal(0), initial=0, **TONNES)
    basis = forms.CharField(label=_("Basis notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


class BatchForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=YEAR_MIN, max_value=YEAR_MAX)
    title = forms.CharField(label=_("Title"), max_length=200)
    document_no = forms.CharField(label=_("Document number"), max_length=80, required=False,
                                  help_text=_("e.g. 工信部联原〔2024〕25号"))


class BatchEditForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    document_no = forms.CharField(label=_("Document number"), max_length=80, required=False)


class LineForm(forms.Form):
    recipient = forms.ChoiceField(label=_("Recipient"))
    indicator_type = forms.ChoiceField(label=_("Indicator type"), choices=IndicatorType.choices)
    tonnes = forms.DecimalField(label=_("Tonnes REO"), min_value=Decimal("0.001"), **TONNES)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        groups = [(f"g{g.pk}", g.name) for g in EnterpriseGroup.objects.order_by("name")]
        ents = [(f"e{e.pk}", e.name) for e in Enterprise.objects.order_by("name")]
        self.fields["recipient"].choices = [("", "—"), (_("Enterprise groups"), groups), (_("Enterprises"), ents)]

    def recipient_kwargs(self) -> dict:
        value = self.cleaned_data["recipient"]
        pk = int(value[1:])
        if value.startswith("g"):
            return {"group": EnterpriseGroup.objects.get(pk=pk)}
        return {"enterprise": Enterprise.objects.get(pk=pk)}


class AdjustmentForm(forms.Form):
    enterprise = forms.ModelChoiceField(label=_("Enterprise"), queryset=Enterprise.objects.order_by("name"))
    year = forms.IntegerField(label=_("Year"), min_value=YEAR_MIN, max_value=YEAR_MAX)
    indicator_type = forms.ChoiceField(label=_("Indicator type"), choices=IndicatorType.choices)
    tonnes = forms.DecimalField(label=_("Tonnes REO (+ adds, − reduces)"), **TONNES)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class ShareForm(forms.Form):
    """One subsidiary's share of a group line on the breakdown page (blank: no share)."""

    share = forms.CharField(required=False)

    def add_prefix(self, field_name: str) -> str:
        return self.prefix or field_name  # one field per form: its name is the form's prefix, ``share_<enterprise id>``

    def clean_share(self) -> Decimal | None:
        raw = (self.cleaned_data.get("share") or "").strip()
        if not raw:
            return None
        try:
            return Decimal(raw)
        except InvalidOperation:
            raise forms.ValidationError(_("Enter a number of tonnes.")) from None


class BaseShareFormSet(forms.BaseFormSet):
    """One ShareForm per candidate subsidiary, named ``share_<enterprise id>`` (the page's field names); the
    view passes the candidates, so the number of forms never comes from the browser."""

    def __init__(self, data=None, *args, candidates=(), **kwargs):
        self.candidates = list(candidates)
        if data is not None:
            data = data.copy()
            n = str(len(self.candidates))
            data.update({"share-TOTAL_FORMS": n, "share-INITIAL_FORMS": n})
        super().__init__(data, *args, prefix="share", **kwargs)

    def add_prefix(self, index) -> str:
        if isinstance(index, int) and index < len(self.candidates):
            return f"share_{self.candidates[index].pk}"
        return super().add_prefix(index)

    def total_form_count(self) -> int:
        return len(self.candidates)


ShareFormSet: type[BaseShareFormSet] = forms.formset_factory(  # type: ignore[assignment]  # the stubs return type[BaseFormSet]
    ShareForm, formset=BaseShareFormSet, extra=0)
