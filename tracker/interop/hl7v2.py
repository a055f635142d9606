"""HL7 v2 ORU^R01 messages: read what isotrack needs from them, and write the ACK.

Pure functions on text (no database): ``read_message`` turns a message into a
``ParsedMessage`` or raises ``Rejected`` (answered AR: no header, a message type or version
isotrack does not take) or ``Unprocessable`` (answered AE: a header to answer, but not the
patient or the results). Parsing, unescaping (``\\F\\ \\S\\ \\T\\ \\R\\ \\E\\``) and the
ACK's header come from the ``hl7`` library.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime

import hl7
from django.utils import timezone

from tracker.interop.parsed import Header, ParsedMessage, ParsedPatient, ParsedResult

# Versions whose ORU^R01 isotrack reads: the fields it uses are the same in all of them.
VERSIONS = ("2.3", "2.3.1", "2.4", "2.5", "2.5.1")
# MSH-11: production messages only. Training and debugging messages from a lab's test system
# carry test patients and must never become clinical records.
PROCESSING_ID = "P"
SEGMENT_ID = re.compile(r"^[A-Z][A-Z0-9]{2}$")
# Batch and file envelopes around messages in a lab's file drop.
ENVELOPE_SEGMENTS = ("FHS", "BHS", "BTS", "FTS")
# OBX-2 value types that carry a number, a coded answer, or text.
CODED_TYPES = ("CE", "CWE", "CNE")
# PID-3 identifier type that is a medical record number.
MRN_TYPE = "MR"
ACK_TEXT_MAX = 200


class Rejected(Exception):
    """The message is refused as a whole (AR): nothing to store."""

    def __init__(self, reason: str, header: Header | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.header = header


class Unprocessable(Exception):
    """The message has a header but its patient or results cannot be read (AE)."""

    def __init__(self, reason: str, header: Header) -> None:
        super().__init__(reason)
        self.reason = reason
        self.header = header


# Reading ----------------------------------------------------------------------------------------


def decode(data: bytes) -> str:
    """Message bytes as text: UTF-8, else Latin-1 (every byte is a character)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def normalise(text: str) -> str:
    """Segments separated by carriage returns, as HL7 has them, whatever the file used."""
    lines = re.split(r"\r\n|\n|\r", text.strip("\x0b\x1c\r\n \t"))
    return "\r".join(line for line in lines if line.strip())


def split_messages(text: str) -> list[str]:
    """The messages of a file: each starts at an MSH segment; MLLP framing characters and
    batch envelopes (FHS, BHS, BTS, FTS) are left out."""
    messages: list[list[str]] = []
    for line in normalise(text.replace("\x0b", "\n").replace("\x1c", "\n")).split("\r"):
        if line.startswith(ENVELOPE_SEGMENTS):
            continue
        if line.startswith("MSH") or not messages:
            messages.append([])
        messages[-1].append(line)
    return ["\r".join(lines) for lines in messages if lines]


def _value(segment, field_num: int, repeat: int = 1, component: int = 1, sub: int = 1) -> str:
    try:
        value = segment.extract_field(None, field_num, repeat, component, sub)
    except (IndexError, AttributeError, TypeError):
        return ""
    return str(value).strip()


def _repetitions(segment, field_num: int) -> int:
    try:
        value = segment(field_num)
    except IndexError:
        return 0
    if isinstance(value, hl7.Field) and value and isinstance(value[0], hl7.Repetition):
        return len(value)
    return 1 if str(value) else 0


def read_header(text: str) -> tuple[hl7.Message, Header]:
    """The parsed message and its header; ``Rejected`` when there is no usable MSH."""
    text = normalise(text)
    if not text.startswith("MSH") or len(text) < 8:
        raise Rejected("The message does not start with an MSH segment.")
    separator = text[3]
    if separator.isalnum() or separator in "\r\n ":
        raise Rejected("The MSH segment has no field separator.")
    for line in text.split("\r"):
        if not SEGMENT_ID.match(line[:3]) or (len(line) > 3 and line[3] != separator):
            raise Rejected(f"Unreadable segment: {line[:20]!r}.")
    try:
        message = hl7.parse(text)
        msh = message.segment("MSH")
    except Exception as exc:  # the library raises several kinds on broken text
        raise Rejected(f"Unreadable message: {exc}.") from None
    header = Header(
        sending_application=_value(msh, 3),
        sending_facility=_value(msh, 4),
        control_id=_value(msh, 10),
        message_type="^".join(filter(None, (_value(msh, 9, 1, 1), _value(msh, 9, 1, 2)))),
        version=_value(msh, 12),
        processing_id=_value(msh, 11),
    )
    if not header.control_id:
        raise Rejected("MSH-10 (message control ID) is empty.", header)
    if not header.sender:
        raise Rejected("MSH-3 and MSH-4 (sending application and facility) are empty.", header)
    if header.message_type != "ORU^R01":
        raise Rejected(
            f"Message type {header.message_type or 'missing'} is not taken: only ORU^R01.", header
        )
    if header.version not in VERSIONS:
        raise Rejected(
            f"HL7 version {header.version or 'missing'} is not taken: only {', '.join(VERSIONS)}.",
            header,
        )
    if header.processing_id != PROCESSING_ID:
        raise Rejected(
            f"Processing ID {header.processing_id or 'missing'} is not taken: "
            "only production (P) messages.",
            header,
        )
    return message, header


def hl7_date(text: str) -> date | None:
    """The date of an HL7 date or timestamp (YYYYMMDD[HHMM[SS[.S]]][+ZZZZ]); None if empty.
    ``ValueError`` when it is not a date."""
    text = (text or "").strip()
    if not text:
        return None
    if not re.match(r"^\d{8}", text):
        raise ValueError(f"{text!r} is not an HL7 date")
    return datetime.strptime(text[:8], "%Y%m%d").date()  # noqa: DTZ007 - a date, no time zone


def _patient(segment, header: Header) -> ParsedPatient:
    identifiers: list[str] = []
    others: list[str] = []
    for repeat in range(1, _repetitions(segment, 3) + 1):
        number = _value(segment, 3, repeat, 1)
        kind = _value(segment, 3, repeat, 5)
        if number:
            (identifiers if kind in ("", MRN_TYPE) else others).append(number)
    if not identifiers:
        raise Unprocessable("PID-3 has no medical record number.", header)
    try:
        born = hl7_date(_value(segment, 7))
    except ValueError:
        raise Unprocessable("PID-7 (date of birth) is not a date.", header) from None
    return ParsedPatient(
        identifiers=tuple(dict.fromkeys(identifiers)),
        family_name=_value(segment, 5, 1, 1),
        given_name=_value(segment, 5, 1, 2),
        date_of_birth=born,
    )


def _result_value(segment, value_type: str) -> tuple[str, str, str]:
    """(value text, coded answer's code, its system)."""
    if value_type in CODED_TYPES:
        code = _value(segment, 5, 1, 1)
        text = _value(segment, 5, 1, 2)
        return text or code, code, _value(segment, 5, 1, 3)
    if value_type == "SN":
        comparator, number = _value(segment, 5, 1, 1), _value(segment, 5, 1, 2)
        separator, second = _value(segment, 5, 1, 3), _value(segment, 5, 1, 4)
        return f"{comparator}{number}{separator}{second}", "", ""
    return _value(segment, 5), "", ""


def _specimen_date(obx, obr, spm) -> date | None:
    """SPM-17 (2.5), else OBX-14, else OBR-7: the day the specimen was collected."""
    for segment, field_num in ((spm, 17), (obx, 14), (obr, 7)):
        if segment is not None and _value(segment, field_num):
            return hl7_date(_value(segment, field_num))
    return None


def read_message(text: str) -> ParsedMessage:
    """Read an ORU^R01: its header, its patient and every OBX result (in order)."""
    message, header = read_header(text)
    pid = obr = spm = None
    pending: list[dict] = []
    for segment in message:
        kind = str(segment(0))
        if kind == "PID" and pid is None:
            pid = segment
        elif kind == "OBR":
            obr, spm = segment, None
        elif kind == "SPM":
            spm = segment
            for item in pending:  # SPM follows the OBX of its order in 2.5
                if item["obr"] is obr and item["spm"] is None:
                    item["spm"] = spm
        elif kind == "OBX":
            pending.append({"obx": segment, "obr": obr, "spm": spm, "notes": []})
        elif kind == "NTE" and pending:
            pending[-1]["notes"].append(_value(segment, 3))
    if pid is None:
        raise Unprocessable("The message has no PID segment.", header)
    if not pending:
        raise Unprocessable("The message has no OBX result.", header)
    patient = _patient(pid, header)
    results = []
    for sequence, item in enumerate(pending, start=1):
        obx, order = item["obx"], item["obr"]
        value_type = _value(obx, 2)
        value, value_code, value_system = _result_value(obx, value_type)
        try:
            specimen_date = _specimen_date(obx, order, item["spm"])
        except ValueError:
            raise Unprocessable(
                f"OBX {sequence}: the specimen date is not a date.", header
            ) from None
        code = _value(obx, 3, 1, 1)
        if not code:
            raise Unprocessable(f"OBX {sequence}: OBX-3 (the test code) is empty.", header)
        results.append(
            ParsedResult(
                sequence=sequence,
                code=code,
                code_text=_value(obx, 3, 1, 2),
                code_system=_value(obx, 3, 1, 3),
                alternate_code=_value(obx, 3, 1, 4),
                alternate_system=_value(obx, 3, 1, 6),
                value_type=value_type,
                value=value,
                value_code=value_code,
                value_code_system=value_system,
                unit=_value(obx, 6, 1, 1),
                reference_range=_value(obx, 7),
                abnormal_flag=_value(obx, 8),
                status=_value(obx, 11).upper(),
                specimen_date=specimen_date,
                order_number=(_value(order, 3) or _value(order, 2)) if order is not None else "",
                comment="\n".join(note for note in item["notes"] if note),
            )
        )
    return ParsedMessage(header=header, patient=patient, results=tuple(results))


# Answering --------------------------------------------------------------------------------------


def ack(text: str, code: str, reason: str = "") -> str:
    """The ACK (original mode) to a message: MSA-1 ``code`` (AA, AE or AR) and, for AE and AR,
    the reason in MSA-3. A message too broken to read is answered with isotrack's own header."""
    reason = reason[:ACK_TEXT_MAX]
    control = uuid.uuid4().hex[:20]
    try:
        header = normalise(text).split("\r", 1)[0]  # the MSH is all the answer needs
        message = hl7.parse(header)
        message.segment("MSH")
        answer = message.create_ack(code, message_id=control)
        if reason:
            answer.segment("MSA").assign_field(message.escape(reason), 3)
        return str(answer).rstrip("\r")
    except Exception:  # noqa: BLE001 - any unreadable header gets the generic answer
        stamp = timezone.now().strftime("%Y%m%d%H%M%S")
        safe = re.sub(r"[|^~\\&\r\n]", " ", reason)
        return f"MSH|^~\\&|ISOTRACK||||{stamp}||ACK|{control}|P|2.5.1\rMSA|{code}||{safe}"


def ack_code(answer: str) -> str:
    """MSA-1 of an ACK (for tests and the benchmark)."""
    for line in normalise(answer).split("\r"):
        if line.startswith("MSA"):
            return line.split(line[3])[1] if len(line) > 4 else ""
    return ""
