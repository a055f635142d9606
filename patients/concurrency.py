"""Optimistic concurrency: a form saved from an older version of a record is refused, with
what changed in between, instead of silently overwriting someone else's edit."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models


class ConcurrentEditError(ValidationError):
    """Someone else saved the record after the form was opened."""

    def __init__(self, message: str, *, current_version: int, seen_version: int) -> None:
        super().__init__(message, code="concurrent_edit")
        self.current_version = current_version
        self.seen_version = seen_version


def _changes_since(instance: models.Model, version: int) -> list[str]:
    history = getattr(instance, "history", None)
    if history is None:
        return []
    rows = list(history.filter(version__gte=version).order_by("history_date", "history_id"))
    lines: list[str] = []
    for older, newer in zip(rows, rows[1:], strict=False):
        delta = newer.diff_against(older, excluded_fields=["version"])
        who = newer.history_user.get_username() if newer.history_user else "someone"
        when = newer.history_date.strftime("%d %b %Y %H:%M")
        for change in delta.changes:
            label = instance._meta.get_field(change.field).verbose_name
            lines.append(f"{label}: {change.old!s} → {change.new!s} ({who}, {when})")
    return lines


def check_version(instance: models.Model, version: int | None, what: str) -> None:
    """Lock the row and refuse the save if it changed since ``version`` was read.

    ``version`` None means the caller did not read the record through a form (services
    called from code): nothing to compare.
    """
    current = (
        type(instance)
        .objects.select_for_update()
        .filter(pk=instance.pk)
        .values_list("version", flat=True)
        .first()
    )
    if version is None or current is None or current == version:
        return
    changes = _changes_since(instance, version)
    detail = "; ".join(changes) if changes else "details were changed"
    raise ConcurrentEditError(
        f"Someone else saved this {what} while you were editing it, and your changes were not "
        f"saved. Their changes: {detail}. Check the values now shown and save again.",
        current_version=current,
        seen_version=version,
    )


def version_as_of(instance: models.Model, version: int) -> models.Model | None:
    """The record as it was at ``version`` (from its change history), or None if the history
    does not have that version."""
    history = getattr(instance, "history", None)
    if history is None:
        return None
    row = history.filter(version=version).order_by("-history_date", "-history_id").first()
    return row.instance if row is not None else None


def lock(instance: models.Model) -> None:
    """Lock the row of ``instance`` until the transaction ends (PostgreSQL): a second writer
    that needs the same lock waits here, then reads what the first one committed."""
    type(instance).objects.select_for_update().filter(pk=instance.pk).values_list("pk").first()


def bump(instance: models.Model) -> None:
    """Raise the version of an instance about to be saved."""
    instance.version = (instance.version or 0) + 1
