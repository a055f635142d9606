"""Labels of the monitoring vocabulary, for templates."""

from __future__ import annotations

from django import template

from tracker.engine.vocabulary import STATUS_LABELS, WORKLIST_STATUS_LABELS

register = template.Library()


@register.filter
def status_label(status: str) -> str:
    """An item's or a worklist row's status in words ("due_soon": "Due soon")."""
    return WORKLIST_STATUS_LABELS.get(status) or STATUS_LABELS.get(status, status)
