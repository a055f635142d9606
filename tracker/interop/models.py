"""Messages received from labs (HL7 v2 or FHIR), their results, and the code mappings staff
made for a lab's own test codes.

Every message is kept as received. Each of its results ends in one state: imported (through the
same service as a typed result), queued for staff, rejected by staff with a reason, cancelled
or superseded by the lab, or waiting as preliminary. Nothing is deleted.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from patients.models import LabResult, Patient, PregnancyTest


class Transport(models.TextChoices):
    MLLP = "mllp", "HL7 v2 over MLLP"
    FILE = "file", "HL7 v2 file"
    FHIR = "fhir", "FHIR R4 bundle"


class MessageStatus(models.TextChoices):
    RECEIVED = "received", "Received, not yet processed"
    PROCESSED = "processed", "Processed"
    UNPROCESSABLE = "unprocessable", "Could not be read"


class InboundMessage(models.Model):
    transport = models.CharField(max_length=8, choices=Transport.choices)
    sender = models.CharField(
        max_length=200, help_text="The sending lab (HL7 MSH-4, else MSH-3; FHIR: the source)."
    )
    sending_application = models.CharField(max_length=200, blank=True)
    control_id = models.CharField(
        "message control ID", max_length=200, help_text="HL7 MSH-10, or the FHIR bundle's id."
    )
    message_type = models.CharField(max_length=40, blank=True)
    version = models.CharField(max_length=12, blank=True)
    raw = models.TextField(help_text="The message exactly as received.")
    received_at = models.DateTimeField(auto_now_add=True)
    ack_code = models.CharField(max_length=2, help_text="AA or AE, as answered.")
    status = models.CharField(max_length=16, choices=MessageStatus.choices)
    error = models.CharField(max_length=300, blank=True)
    # As the message names the patient.
    patient_identifiers = models.JSONField("MRN as sent", default=list, blank=True)
    patient_family_name = models.CharField(max_length=100, blank=True)
    patient_given_name = models.CharField(max_length=100, blank=True)
    patient_date_of_birth = models.DateField(null=True, blank=True)
    # Set by matching, or by a member of staff from the queue.
    patient = models.ForeignKey(
        Patient, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    matched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    matched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["sender", "control_id"], name="one_message_per_sender_control_id"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_transport_display()} {self.control_id} from {self.sender}"

    @property
    def patient_as_sent(self) -> str:
        name = ", ".join(n for n in (self.patient_family_name, self.patient_given_name) if n)
        mrn = ", ".join(self.patient_identifiers) or "none"
        return f"{name or 'no name'} (MRN {mrn})"


class ResultState(models.TextChoices):
    RECEIVED = "received", "Waiting to be processed"
    IMPORTED = "imported", "Imported"
    QUEUED = "queued", "Waiting for staff"
    REJECTED = "rejected", "Rejected by staff"
    CANCELLED = "cancelled", "Cancelled by the lab"
    PRELIMINARY = "preliminary", "Preliminary: waiting for the final result"
    SUPERSEDED = "superseded", "Replaced by a corrected result"


class QueueReason(models.TextChoices):
    NO_PATIENT = "no_patient", "No patient with this MRN and date of birth"
    SEVERAL_PATIENTS = "several_patients", "More than one patient matches"
    NO_COURSE = "no_course", "The patient has no course for this date"
    UNKNOWN_CODE = "unknown_code", "Test code not known"
    UNKNOWN_UNIT = "unknown_unit", "Unit not known"
    NOT_ACCEPTED = "not_accepted", "Result not accepted as sent"


class ResultStatus(models.TextChoices):
    """HL7 table 0085 (OBX-11), and the FHIR Observation statuses mapped onto it."""

    FINAL = "F", "Final"
    CORRECTED = "C", "Corrected"
    CANCELLED = "X", "Cancelled: no result"
    DELETED = "D", "Deleted"
    WRONG = "W", "Sent in error"
    PRELIMINARY = "P", "Preliminary"
    NOT_VERIFIED = "R", "Not verified"
    PENDING = "I", "Pending"
    PARTIAL = "S", "Partial"
    CHANGED_TO_FINAL = "U", "Changed to final"


class InboundResult(models.Model):
    message = models.ForeignKey(InboundMessage, on_delete=models.PROTECT, related_name="results")
    sequence = models.PositiveSmallIntegerField(help_text="Place in the message, from 1.")
    code = models.CharField("test code", max_length=64)
    code_system = models.CharField(max_length=64, blank=True)
    code_text = models.CharField("test name", max_length=200, blank=True)
    alternate_code = models.CharField(max_length=64, blank=True)
    alternate_system = models.CharField(max_length=64, blank=True)
    value_type = models.CharField(max_length=8, blank=True)
    value = models.CharField(max_length=200, blank=True)
    value_code = models.CharField(max_length=64, blank=True)
    value_code_system = models.CharField(max_length=64, blank=True)
    unit = models.CharField(max_length=40, blank=True)
    reference_range = models.CharField(max_length=60, blank=True)
    abnormal_flag = models.CharField(max_length=10, blank=True)
    status = models.CharField(
        "result status", max_length=2, blank=True, choices=ResultStatus.choices
    )
    specimen_date = models.DateField(null=True, blank=True)
    order_number = models.CharField(max_length=100, blank=True)
    comment = models.TextField(blank=True)
    state = models.CharField(max_length=12, choices=ResultState.choices)
    queue_reason = models.CharField(max_length=20, choices=QueueReason.choices, blank=True)
    problem = models.CharField(max_length=300, blank=True, help_text="What staff must resolve.")
    lab_result = models.ForeignKey(
        LabResult, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    pregnancy_test = models.ForeignKey(
        PregnancyTest, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    supersedes = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    reject_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["message_id", "sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["message", "sequence"], name="one_result_per_message_place"
            ),
            models.CheckConstraint(
                condition=Q(state="queued", queue_reason__gt="") | ~Q(state="queued"),
                name="queued_result_has_reason",
            ),
        ]
        # The inbox: what waits, newest first, all of it or for one reason.
        indexes = [
            models.Index(fields=["-id"], name="interop_queue", condition=Q(state="queued")),
            models.Index(
                fields=["queue_reason", "-id"],
                name="interop_queue_reason",
                condition=Q(state="queued"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code_text or self.code} {self.value} {self.unit}".strip()

    @property
    def record(self) -> LabResult | PregnancyTest | None:
        return self.lab_result or self.pregnancy_test


class CodeMapping(models.Model):
    """A lab's own test code, mapped by staff to what isotrack records; used for every later
    result with that code from that lab."""

    sender = models.CharField(max_length=200)
    code = models.CharField("test code", max_length=64)
    target = models.CharField(
        "records as",
        max_length=24,
        help_text="An analyte, or a pregnancy test (urine or serum).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["sender", "code"]
        constraints = [
            models.UniqueConstraint(fields=["sender", "code"], name="one_mapping_per_lab_code")
        ]

    def __str__(self) -> str:
        return f"{self.sender} {self.code} → {self.target}"
