"""Worklist filters and sorting, kept in the URL so a view can be bookmarked."""

from __future__ import annotations

import django_filters
from django import forms
from django.contrib.auth import get_user_model

from patients.models import Category, Profile
from patients.roles import CLINICIAN
from tracker.engine.vocabulary import LEVEL_LABELS, WORKLIST_STATUS_LABELS, event_label
from tracker.models import WorklistEntry
from tracker.monitoring.selectors import visible_entries

STATUS_CHOICES = list(WORKLIST_STATUS_LABELS.items())
# What satisfies an item (its rule's satisfier), or what opened an alert: both event kinds,
# the most frequent first.
KINDS = (
    "lab",
    "pregnancy_test",
    "contraception_start",
    "contraception_attestation",
    "consent",
    "risk_acknowledgement",
    "second_prescriber",
    "rems_confirmation",
    "mood_screen",
    "sexual_function",
)
KIND_CHOICES = [(kind, event_label(kind)) for kind in KINDS]
LEVEL_CHOICES = [(level, LEVEL_LABELS[level]) for level in ("critical", "high", "info")]
SORT_CHOICES = [
    ("urgency", "Most urgent first"),
    ("due", "Due date (oldest first)"),
    ("-due", "Due date (newest first)"),
    ("patient", "Patient name"),
    ("clinician", "Responsible clinician"),
]
SORT_ORDER = {
    "urgency": ("priority", "due_on", "pk"),
    "due": ("due_on", "priority", "pk"),
    "-due": ("-due_on", "priority", "pk"),
    "patient": ("patient__family_name", "patient__given_name", "priority", "due_on", "pk"),
    "clinician": ("responsible_clinician__last_name", "priority", "due_on", "pk"),
}


class WorklistFilter(django_filters.FilterSet):
    # distinct=False: one entry is one row, so the filter needs no DISTINCT (which would stop
    # the worklist index from serving the page).
    status = django_filters.MultipleChoiceFilter(
        choices=STATUS_CHOICES, widget=forms.CheckboxSelectMultiple, distinct=False
    )
    item_kind = django_filters.ChoiceFilter(
        choices=KIND_CHOICES, label="Item kind", empty_label="Any"
    )
    level = django_filters.ChoiceFilter(
        choices=LEVEL_CHOICES, label="Alert level", empty_label="Any"
    )
    clinician = django_filters.ModelChoiceFilter(
        field_name="responsible_clinician",
        label="Responsible clinician",
        queryset=lambda request: (
            get_user_model()
            .objects.filter(groups__name=CLINICIAN)
            .order_by("last_name", "username")
        ),
        empty_label="Any",
    )
    profile = django_filters.ChoiceFilter(choices=Profile.choices, empty_label="Any")
    category = django_filters.ChoiceFilter(choices=Category.choices, empty_label="Any")
    mine = django_filters.BooleanFilter(
        method="filter_mine", label="My patients only", widget=forms.CheckboxInput
    )
    hidden = django_filters.BooleanFilter(
        method="filter_hidden", label="Include snoozed and waived", widget=forms.CheckboxInput
    )
    sort = django_filters.ChoiceFilter(
        choices=SORT_CHOICES, method="filter_sort", label="Sort", empty_label=None
    )

    class Meta:
        model = WorklistEntry
        fields = ["status", "item_kind", "level", "clinician", "profile", "category"]

    def __init__(self, *args, today=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today

    def filter_mine(self, queryset, name, value):
        if value and self.request is not None:
            return queryset.filter(responsible_clinician=self.request.user)
        return queryset

    def filter_hidden(self, queryset, name, value):
        return queryset  # applied in filter_queryset, which sees every value

    def filter_sort(self, queryset, name, value):
        return queryset  # applied last, in filter_queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if not self.form.cleaned_data.get("hidden"):
            queryset = visible_entries(queryset, self.today)
        order = SORT_ORDER.get(self.form.cleaned_data.get("sort") or "urgency")
        return queryset.order_by(*order)

    def narrows(self) -> bool:
        """Whether the rows differ from every visible entry (sorting alone does not count).

        Filters that were not understood are ignored (and reported), so they do not count.
        """
        self.form.is_valid()
        cleaned = getattr(self.form, "cleaned_data", {})
        return any(
            value not in (None, "", [], False) for name, value in cleaned.items() if name != "sort"
        )


def _choices(field) -> list[tuple[str, str]]:
    if isinstance(field, forms.ModelChoiceField):
        # One plain query (iterating the field would open a server-side cursor).
        options = [] if field.empty_label is None else [("", field.empty_label)]
        return options + [(str(obj.pk), field.label_from_instance(obj)) for obj in field.queryset]
    return [(str(value), label) for value, label in field.choices]


def form_controls(form) -> list[dict]:
    """The filter form's fields as plain data (names, ids, labels, options and which are
    chosen), for ``tracker/_filter_form.html``.

    Django's widget templates, one per option, cost more than the rest of the worklist page;
    this draws the same controls from one light template.
    """
    controls = []
    for bound in form:
        widget = bound.field.widget
        value = bound.value()
        control = {
            "name": bound.html_name,
            "id": bound.auto_id,
            "label": bound.label,
            "errors": bound.errors,
        }
        if isinstance(widget, forms.CheckboxInput):
            control.update(kind="checkbox", checked=bool(value))
        elif isinstance(widget, forms.CheckboxSelectMultiple):
            chosen = {str(v) for v in value or []}
            control["kind"] = "checkboxes"
            control["options"] = [
                {
                    "value": option,
                    "label": label,
                    "id": f"{bound.auto_id}_{n}",
                    "on": option in chosen,
                }
                for n, (option, label) in enumerate(_choices(bound.field))
            ]
        else:
            choices = _choices(bound.field)
            chosen = {"" if value is None else str(value)}
            if not any(option in chosen for option, _ in choices):
                # Nothing chosen, or a value that was not understood (and is ignored): the
                # first choice ("Any", or the default sort) is what applies.
                chosen = {choices[0][0]} if choices else set()
            control["kind"] = "select"
            control["options"] = [
                {"value": option, "label": label, "on": option in chosen}
                for option, label in choices
            ]
        controls.append(control)
    return controls
