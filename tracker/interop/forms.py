from __future__ import annotations

from django import forms

from tracker.interop import codes
from tracker.interop.models import QueueReason


class QueueFilterForm(forms.Form):
    reason = forms.ChoiceField(
        label="Reason", required=False, choices=[("", "Any reason"), *QueueReason.choices]
    )
    sender = forms.CharField(label="Lab", required=False, max_length=200)
    q = forms.CharField(
        label="Search",
        required=False,
        max_length=100,
        help_text="Patient name or MRN as the lab sent it, or the test.",
    )


class PatientSearchForm(forms.Form):
    q = forms.CharField(label="Find the patient", max_length=100, help_text="MRN or name.")


class MatchPatientForm(forms.Form):
    patient = forms.IntegerField(widget=forms.HiddenInput)


class MapCodeForm(forms.Form):
    target = forms.ChoiceField(
        label="This test measures",
        choices=[("", "Choose…")],
        help_text="Remembered for every later result with this code from this lab.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].choices = [("", "Choose…"), *codes.mapping_choices()]


class RejectForm(forms.Form):
    reason = forms.CharField(
        label="Reason for rejecting",
        max_length=300,
        help_text="E.g. “Duplicate of a result entered by hand” or “Lab asked to resend”.",
    )
