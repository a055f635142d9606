"""Receiving lab messages, processing their results, and the queue's actions.

Receiving stores the message as sent and its results, and commits, before anything answers the
lab: the caller sends the ACK and then enqueues ``tasks.process_inbound_message``. Processing
matches the patient (MRN and date of birth), works out what each result records and files it
through the same services as a typed result (``patients.services``): validation, unit
conversion, alerts and re-evaluation. What cannot be filed without a guess is queued for staff,
with the reason. Every function is idempotent on what it was given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from patients import reevaluation
from patients import services as records
from patients.models import OPEN_COURSE_STATUSES, Course, Patient
from tracker.engine.analytes import ANALYTES, unit_as_recorded
from tracker.interop import codes, fhir_in, hl7v2
from tracker.interop.codes import Target
from tracker.interop.models import (
    CodeMapping,
    InboundMessage,
    InboundResult,
    MessageStatus,
    QueueReason,
    ResultState,
    ResultStatus,
    Transport,
)
from tracker.interop.parsed import Header, ParsedMessage

# OBX-11 statuses whose value is the lab's result; the ones that withdraw an earlier result;
# and the ones that are not final yet (kept, nothing filed).
VALUE_STATUSES = {ResultStatus.FINAL, ResultStatus.CORRECTED, ResultStatus.CHANGED_TO_FINAL}
WITHDRAWING_STATUSES = {ResultStatus.CANCELLED, ResultStatus.DELETED, ResultStatus.WRONG}
NUMBER = re.compile(r"^[+]?\d+(\.\d+)?$")
RANGE_HIGH = re.compile(r"^\s*(?:[<≤]=?\s*|\d+(?:\.\d+)?\s*[-–]\s*)(\d+(?:\.\d+)?)\s*$")


@dataclass(frozen=True)
class Receipt:
    """How a received message is answered: ``code`` AA, AE or AR with the ``reason``;
    ``message_id`` is the stored message (none for AR), ``to_process`` whether processing is
    still to be enqueued for it."""

    code: str
    reason: str = ""
    message_id: int | None = None
    to_process: bool = False


# Receiving --------------------------------------------------------------------------------------


def receive_hl7(*, text: str, transport: str = Transport.MLLP) -> Receipt:
    """Store one HL7 v2 message as received. AR: refused, nothing stored. AE: stored, but its
    patient or results cannot be read. AA: stored with its results, to be processed. The same
    message again (sender and control ID) stores nothing and is answered as the first time."""
    try:
        parsed = hl7v2.read_message(text)
    except hl7v2.Rejected as exc:
        return Receipt("AR", exc.reason)
    except hl7v2.Unprocessable as exc:
        return _store(text=text, transport=transport, header=exc.header, error=exc.reason)
    return _store(text=text, transport=transport, header=parsed.header, parsed=parsed)


def receive_fhir(*, text: str, sender: str = "") -> Receipt:
    """Store one FHIR R4 Bundle of Observations, answered as an HL7 message would be."""
    try:
        parsed = fhir_in.read_bundle(text, sender=sender)
    except hl7v2.Rejected as exc:
        return Receipt("AR", exc.reason)
    except hl7v2.Unprocessable as exc:
        return _store(text=text, transport=Transport.FHIR, header=exc.header, error=exc.reason)
    return _store(text=text, transport=Transport.FHIR, header=parsed.header, parsed=parsed)


def _store(
    *,
    text: str,
    transport: str,
    header: Header,
    parsed: ParsedMessage | None = None,
    error: str = "",
) -> Receipt:
    try:
        return _store_once(
            text=text, transport=transport, header=header, parsed=parsed, error=error
        )
    except IntegrityError:
        # The same message again (resent, or stored meanwhile by another connection):
        # answered as the first time.
        found = _existing(header)
        if found is None:
            raise
        return found


@transaction.atomic
def _store_once(
    *,
    text: str,
    transport: str,
    header: Header,
    parsed: ParsedMessage | None,
    error: str,
) -> Receipt:
    # The same message again breaks the unique sender and control ID: see ``_store``.
    patient = parsed.patient if parsed is not None else None
    message = InboundMessage.objects.create(
        transport=transport,
        sender=header.sender[:200],
        sending_application=header.sending_application[:200],
        control_id=header.control_id[:200],
        message_type=header.message_type[:40],
        version=header.version[:12],
        raw=text,
        ack_code="AE" if error else "AA",
        status=MessageStatus.UNPROCESSABLE if error else MessageStatus.RECEIVED,
        error=error[:300],
        patient_identifiers=list(patient.identifiers) if patient else [],
        patient_family_name=patient.family_name[:100] if patient else "",
        patient_given_name=patient.given_name[:100] if patient else "",
        patient_date_of_birth=patient.date_of_birth if patient else None,
    )
    if parsed is not None:
        InboundResult.objects.bulk_create(
            InboundResult(
                message=message,
                state=ResultState.RECEIVED,
                **{
                    name: _fit(InboundResult, name, getattr(result, name)) for name in RESULT_FIELDS
                },
            )
            for result in parsed.results
        )
    return Receipt(message.ack_code, error, message.pk, to_process=not error)


RESULT_FIELDS = (
    "sequence",
    "code",
    "code_system",
    "code_text",
    "alternate_code",
    "alternate_system",
    "value_type",
    "value",
    "value_code",
    "value_code_system",
    "unit",
    "reference_range",
    "abnormal_flag",
    "status",
    "specimen_date",
    "order_number",
    "comment",
)


def _fit(model, name: str, value):
    """A text cut to its column's length (a lab's long test name must not lose the message)."""
    limit = model._meta.get_field(name).max_length
    return value[:limit] if isinstance(value, str) and limit else value


def _existing(header: Header) -> Receipt | None:
    found = (
        InboundMessage.objects.filter(sender=header.sender[:200], control_id=header.control_id)
        .values_list("pk", "ack_code", "error", "status")
        .first()
    )
    if found is None:
        return None
    pk, code, error, status = found
    return Receipt(code, error, pk, to_process=status == MessageStatus.RECEIVED)


# Processing -------------------------------------------------------------------------------------


@transaction.atomic
def message_process(*, message_id: int, today: date | None = None) -> None:
    """Match the message's patient and file or queue each of its results not yet processed.
    Running it again does nothing."""
    message = InboundMessage.objects.select_for_update().filter(pk=message_id).first()
    if message is None or message.status != MessageStatus.RECEIVED:
        return
    match = _match(message)
    if match.patient is not None:
        message.patient = match.patient
    with reevaluation.batch():  # each course re-evaluated once for the whole message
        for result in message.results.filter(state=ResultState.RECEIVED):
            _process(result, message, match, by=None, today=today)
    message.status = MessageStatus.PROCESSED
    message.save(update_fields=["patient", "status"])


@dataclass(frozen=True)
class Match:
    patient: Patient | None
    reason: str = ""
    problem: str = ""


def _match(message: InboundMessage) -> Match:
    """The one patient with one of the message's MRNs and its date of birth; nothing guessed."""
    if message.patient_id is not None:
        return Match(message.patient)
    mrns = ", ".join(message.patient_identifiers)
    born = message.patient_date_of_birth
    if born is None:
        return Match(None, QueueReason.NO_PATIENT, "The message gives no date of birth.")
    found = list(
        Patient.objects.filter(mrn__in=message.patient_identifiers, date_of_birth=born)[:2]
    )
    if len(found) == 1:
        return Match(found[0])
    if found:
        return Match(
            None,
            QueueReason.SEVERAL_PATIENTS,
            f"More than one patient has one of the MRNs {mrns} and this date of birth.",
        )
    if Patient.objects.filter(mrn__in=message.patient_identifiers).exists():
        problem = f"A patient with MRN {mrns} is on file with a different date of birth."
    else:
        problem = f"No patient has MRN {mrns}."
    return Match(None, QueueReason.NO_PATIENT, problem)


def _process(
    result: InboundResult,
    message: InboundMessage,
    match: Match,
    *,
    by: AbstractBaseUser | None,
    today: date | None,
) -> None:
    """File, queue or set aside one result, in a savepoint of its own."""
    with transaction.atomic():
        _decide(result, message, match, by=by, today=today)
        result.save()


def _queue(result: InboundResult, reason: str, problem: str) -> None:
    result.state = ResultState.QUEUED
    result.queue_reason = reason
    result.problem = problem[:300]


def _done(result: InboundResult, state: str, by: AbstractBaseUser | None) -> None:
    result.state = state
    result.queue_reason = ""
    result.problem = ""
    result.resolved_by = by
    result.resolved_at = timezone.now() if by is not None else None


def _decide(result, message, match: Match, *, by, today) -> None:
    status = result.status
    if status not in VALUE_STATUSES and status not in WITHDRAWING_STATUSES:
        _done(result, ResultState.PRELIMINARY, by)
        return
    if match.patient is None:
        _queue(result, match.reason, match.problem)
        return
    if status in WITHDRAWING_STATUSES:
        _withdraw_earlier(result, message, match.patient, by=by, today=today)
        _done(result, ResultState.CANCELLED, by)
        return
    target = _target(result, message.sender)
    if target is None:
        name = f" ({result.code_text})" if result.code_text else ""
        _queue(
            result,
            QueueReason.UNKNOWN_CODE,
            f"The code {result.code}{name} from {message.sender} is not known: map it to what "
            "it measures.",
        )
        return
    if result.specimen_date is None:
        _queue(result, QueueReason.NOT_ACCEPTED, "The result has no specimen date.")
        return
    course = _course_for(match.patient, result.specimen_date)
    if course is None:
        _queue(
            result,
            QueueReason.NO_COURSE,
            f"{match.patient.name} has no open course, and none that covers "
            f"{result.specimen_date.day} {result.specimen_date:%b %Y}.",
        )
        return
    earlier = _earlier(result, message, match.patient)
    try:
        with transaction.atomic():
            record = _file(result, message, target, course, by=by, today=today)
    except Refused as exc:
        _queue(result, exc.reason, exc.problem)
        return
    if earlier is not None:
        _supersede(earlier, result, message, by=by, today=today)
    _done(result, ResultState.IMPORTED, by)
    if target.analyte:
        result.lab_result = record
    else:
        result.pregnancy_test = record


class Refused(Exception):
    def __init__(self, reason: str, problem: str) -> None:
        super().__init__(problem)
        self.reason = reason
        self.problem = problem


def _target(result: InboundResult, sender: str) -> Target | None:
    target = codes.loinc_of(
        [(result.code, result.code_system), (result.alternate_code, result.alternate_system)]
    )
    if target is not None:
        return target
    mapped = (
        CodeMapping.objects.filter(sender=sender, code=result.code)
        .values_list("target", flat=True)
        .first()
    )
    return codes.target_of_mapping(mapped) if mapped else None


def _course_for(patient: Patient, on: date) -> Course | None:
    """The patient's open course, else the course that covers the specimen date."""
    courses = list(patient.courses.all())
    open_course = next((c for c in courses if c.status in OPEN_COURSE_STATUSES), None)
    if open_course is not None:
        return open_course
    return next((c for c in courses if c.start <= on and (c.end is None or on <= c.end)), None)


def _source(message: InboundMessage, result: InboundResult) -> str:
    text = f"{message.sender}, message {message.control_id}, result {result.sequence}"
    if result.status == ResultStatus.CORRECTED:
        text += " (corrected result)"
    return text[:200]


def _file(result, message, target: Target, course: Course, *, by, today):
    """The record, saved through the same service as a typed one; ``Refused`` with the reason
    when it cannot be filed as sent."""
    common = {
        "course": course,
        "date": result.specimen_date,
        "by": by,
        "notes": result.comment,
        "source": _source(message, result),
        "today": today,
    }
    try:
        if target.quantitative_hcg:
            raise Refused(
                QueueReason.NOT_ACCEPTED,
                "A quantitative hCG has no positive or negative of its own: a clinician reads "
                "it and records the pregnancy test by hand.",
            )
        if target.specimen:
            outcome = codes.qualitative_result(
                result.value_code, result.value_code_system, result.value
            )
            if outcome is None:
                raise Refused(
                    QueueReason.NOT_ACCEPTED,
                    f"The pregnancy test result {result.value or '(empty)'!r} is not positive "
                    "or negative: a clinician must read it.",
                )
            return records.pregnancy_test_record(
                **common, result=outcome, setting="lab", specimen=target.specimen
            )
        return records.lab_result_record(**common, **_lab_values(result, target.analyte))
    except ValidationError as exc:
        raise Refused(QueueReason.NOT_ACCEPTED, _errors_text(exc)) from None


def _lab_values(result: InboundResult, analyte: str) -> dict:
    definition = ANALYTES[analyte]
    unit = unit_as_recorded(result.unit)
    if unit is None or unit not in definition.allowed_units:
        raise Refused(
            QueueReason.UNKNOWN_UNIT,
            f"{definition.label} in {result.unit or 'no unit'!r} is not taken: isotrack records "
            f"it in {' or '.join(definition.allowed_units)}.",
        )
    if not NUMBER.match(result.value):
        raise Refused(
            QueueReason.NOT_ACCEPTED,
            f"The value {result.value or '(empty)'!r} is not a number: if it should be recorded, "
            "enter it by hand.",
        )
    return {"analyte": analyte, "value": result.value, "unit": unit, "uln": _uln(result, analyte)}


def _uln(result: InboundResult, analyte: str) -> Decimal | None:
    """The upper limit of normal from the lab's reference range, for the enzymes."""
    if not ANALYTES[analyte].uln_based:
        return None
    found = RANGE_HIGH.match(result.reference_range or "")
    if found is None:
        return None
    try:
        return Decimal(found[1])
    except InvalidOperation:  # pragma: no cover - the pattern matched digits
        return None


def _errors_text(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return " ".join(m for messages in exc.message_dict.values() for m in messages)
    return " ".join(exc.messages)


def _earlier(result: InboundResult, message: InboundMessage, patient: Patient):
    """The earlier result from the same lab that this one corrects or withdraws: same patient,
    test, specimen date and order, not yet replaced."""
    if result.status not in (ResultStatus.CORRECTED, *WITHDRAWING_STATUSES):
        return None
    earlier = InboundResult.objects.filter(
        message__sender=message.sender,
        message__patient=patient,
        code=result.code,
        specimen_date=result.specimen_date,
        state__in=[ResultState.IMPORTED, ResultState.QUEUED],
    ).exclude(pk=result.pk)
    if result.order_number:
        earlier = earlier.filter(order_number=result.order_number)
    return earlier.select_related("lab_result", "pregnancy_test").order_by("-pk").first()


def _supersede(earlier: InboundResult, result: InboundResult, message, *, by, today) -> None:
    """Mark the earlier result's record entered in error, naming what replaced it, and link
    the two."""
    record = earlier.record
    if record is not None and not record.entered_in_error:
        what = (
            "corrected"
            if result.status == ResultStatus.CORRECTED
            else ResultStatus(result.status).label.lower()
        )
        records.record_mark_entered_in_error(
            record=record,
            reason=(
                f"{what.capitalize()} by {message.sender}: message {message.control_id}, "
                f"result {result.sequence}."
            )[:300],
            by=by,
            today=today,
        )
    _done(earlier, ResultState.SUPERSEDED, by)
    earlier.save()
    result.supersedes = earlier


def _withdraw_earlier(result, message, patient, *, by, today) -> None:
    earlier = _earlier(result, message, patient)
    if earlier is not None:
        _supersede(earlier, result, message, by=by, today=today)


# The queue --------------------------------------------------------------------------------------


def _waiting(result: InboundResult) -> InboundResult:
    """The result, locked and read again; refused when it is no longer in the queue."""
    stored = InboundResult.objects.select_for_update().select_related("message").get(pk=result.pk)
    if stored.state != ResultState.QUEUED:
        raise ValidationError(
            {"__all__": f"This result is no longer waiting: {stored.get_state_display()}."}
        )
    return stored


def _reprocess(results, message: InboundMessage, *, by, today) -> None:
    match = _match(message)
    if match.patient is not None and message.patient_id is None:
        message.patient = match.patient  # found now (added since the message came)
        message.save(update_fields=["patient"])
    for result in results:
        result.message = message
        _process(result, message, match, by=by, today=today)


@transaction.atomic
def queue_match_patient(
    *,
    result: InboundResult,
    patient: Patient,
    by: AbstractBaseUser | None,
    today: date | None = None,
) -> InboundResult:
    """A member of staff names the patient of the result's message: every result of that
    message still waiting is processed again for that patient."""
    result = _waiting(result)
    message = InboundMessage.objects.select_for_update().get(pk=result.message_id)
    if not Patient.objects.filter(pk=getattr(patient, "pk", None)).exists():
        raise ValidationError({"patient": "Choose a patient from the search results."})
    message.patient = patient
    message.matched_by = by
    message.matched_at = timezone.now()
    message.save(update_fields=["patient", "matched_by", "matched_at"])
    waiting = message.results.filter(state=ResultState.QUEUED).order_by("sequence")
    _reprocess(list(waiting), message, by=by, today=today)
    result.refresh_from_db()
    return result


@transaction.atomic
def queue_map_code(
    *,
    result: InboundResult,
    target: str,
    by: AbstractBaseUser | None,
    today: date | None = None,
) -> InboundResult:
    """Map the lab's code to what it measures; kept for that lab, and every result waiting on
    the same code from it is processed again."""
    result = _waiting(result)
    if codes.target_of_mapping(target) is None:
        raise ValidationError({"target": "Choose what this test measures."})
    sender = result.message.sender
    mapping, created = CodeMapping.objects.get_or_create(
        sender=sender, code=result.code, defaults={"target": target, "created_by": by}
    )
    if not created and mapping.target != target:
        raise ValidationError(
            {"target": f"The code {result.code} from {sender} is already mapped differently."}
        )
    waiting = (
        InboundResult.objects.select_for_update()
        .filter(
            state=ResultState.QUEUED,
            queue_reason=QueueReason.UNKNOWN_CODE,
            message__sender=sender,
            code=result.code,
        )
        .select_related("message")
        .order_by("pk")
    )
    for other in waiting:
        _reprocess([other], other.message, by=by, today=today)
    result.refresh_from_db()
    return result


@transaction.atomic
def queue_reject(
    *,
    result: InboundResult,
    reason: str,
    by: AbstractBaseUser | None,
) -> InboundResult:
    """Take the result out of the queue without filing it; the reason is kept."""
    result = _waiting(result)
    if not (reason or "").strip():
        raise ValidationError({"reason": "Give the reason the result is rejected."})
    _done(result, ResultState.REJECTED, by)
    result.reject_reason = reason.strip()[:300]
    result.save()
    return result


@transaction.atomic
def queue_retry(
    *,
    result: InboundResult,
    by: AbstractBaseUser | None,
    today: date | None = None,
) -> InboundResult:
    """Process the result again (after a patient, course or mapping was added elsewhere)."""
    result = _waiting(result)
    _reprocess([result], result.message, by=by, today=today)
    return result
