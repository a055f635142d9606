from django import forms

from patients.validation import validate_plausible_date
from tracker.models import OutreachMethod

DATE_INPUT = forms.DateInput(attrs={"type": "date"})


class AcknowledgeForm(forms.Form):
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        help_text="What was decided. For an alert this is the clinical review: it closes it.",
    )


class SnoozeForm(forms.Form):
    until = forms.DateField(
        widget=DATE_INPUT,
        validators=[validate_plausible_date],
        label="Snooze until",
        help_text="At most 30 days. The item returns at once if its status worsens.",
    )
    reason = forms.CharField(max_length=500)


class WaiveForm(forms.Form):
    reason = forms.CharField(
        max_length=500,
        help_text="The item leaves the worklist for this course. It does not make the course "
        "ready to prescribe.",
    )


class OutreachForm(forms.Form):
    method = forms.ChoiceField(choices=OutreachMethod.choices, label="Contact")
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=2000
    )
