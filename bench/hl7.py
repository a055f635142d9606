"""HL7 ingest through the MLLP listener, the processing of received messages, and the lab
inbox page with 10,000 results waiting, on PostgreSQL.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/isotrack_bench_interop \\
        .venv/bin/python bench/hl7.py                 # JSON in bench/results/hl7.json

1. Ingest: ``manage.py hl7_listen`` runs as its own process on 127.0.0.1 (tasks only enqueued:
   ``bench/interop_settings.py``); ``--connections`` clients each send lipid-panel ORU^R01
   messages (4 OBX) one after another for ``--seconds``, waiting for each ACK as MLLP's original
   mode does. Every ACK must be AA and name the message's control ID.
2. Processing: ``message_process`` (matching, four lab results through the lab-result service,
   alerts and re-evaluation) on ``--process`` of the stored messages, timed in this process.
3. The inbox: 10,000 results waiting (one message each), then the inbox page and its filters
   requested through Django's test client as a member of staff, 60 timed runs after 5 warm-up
   runs; median and p95 in milliseconds.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402
from bench.run import timed  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/isotrack_bench_interop"
PATIENTS = 50
VT, FS_CR = b"\x0b", b"\x1c\r"
MESSAGE = "\r".join(
    (
        "MSH|^~\\&|LIS|BENCHLAB|ISOTRACK|CLINIC|20251103153200||ORU^R01^ORU_R01|{control}|P|2.5.1",
        "PID|1||{mrn}^^^CLINIC^MR||BENCH^PATIENT||19900101|F",
        "OBR|1|P{control}|F{control}^BENCHLAB|57698-3^Lipid panel^LN|||20251103081500",
        "OBX|1|NM|2571-8^Triglyceride^LN||{tg}|mg/dL|<150|H|||F|||20251103081500",
        "OBX|2|NM|2093-3^Cholesterol^LN||210|mg/dL|<200|H|||F|||20251103081500",
        "OBX|3|NM|13457-7^LDL Cholesterol calc^LN||130|mg/dL|<130|N|||F|||20251103081500",
        "OBX|4|NM|2085-9^HDL Cholesterol^LN||1.2|mmol/L|>1.0|N|||F|||20251103081500",
    )
)


def _prepare() -> None:
    """A fresh, migrated database with the patients the messages name."""
    from django.core.management import call_command

    common.ensure_database(fresh=True)
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    from django.contrib.auth.models import Group, User

    from patients import services

    staff = User.objects.create_user("bench-staff", password="x" * 12)
    staff.groups.add(Group.objects.get(name="Clinic staff"))
    clinician = User.objects.create_user("bench-clinician", password="x" * 12)
    clinician.groups.add(Group.objects.get(name="Clinician"))
    for number in range(PATIENTS):
        patient = services.patient_create(
            mrn=f"B{number:05d}",
            given_name="Patient",
            family_name=f"Bench{number}",
            date_of_birth=dt.date(1990, 1, 1),
            profile="UK",
            category="cannot_get_pregnant",
            by=clinician,
        )
        services.course_create(
            patient=patient, start=dt.date(2025, 10, 1), weight_kg=70, by=clinician
        )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _client(port: int, prefix: str, deadline: float, outcome: dict, lock) -> None:
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    buffer, sent, good, bad = b"", 0, 0, 0
    while time.perf_counter() < deadline:
        control = f"{prefix}-{sent}"
        text = MESSAGE.format(control=control, mrn=f"B{sent % PATIENTS:05d}", tg=150 + sent % 400)
        sock.sendall(VT + text.encode() + FS_CR)
        while FS_CR not in buffer:
            buffer += sock.recv(65536)
        block, buffer = buffer.split(FS_CR, 1)
        msa = next(s for s in block[1:].decode().split("\r") if s.startswith("MSA")).split("|")
        sent += 1
        if msa[1] == "AA" and msa[2] == control:
            good += 1
        else:
            bad += 1
    sock.close()
    with lock:
        outcome["sent"] += sent
        outcome["aa"] += good
        outcome["not_aa"] += bad


def ingest(seconds: float, connections: int) -> dict:
    port = _free_port()
    env = {**os.environ, **common.environment(), "DJANGO_SETTINGS_MODULE": "bench.interop_settings"}
    listener = subprocess.Popen(
        [sys.executable, "manage.py", "hl7_listen", "--port", str(port)],
        cwd=common.ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        outcome = {"sent": 0, "aa": 0, "not_aa": 0}
        lock = threading.Lock()
        started = time.perf_counter()
        deadline = started + seconds
        threads = [
            threading.Thread(target=_client, args=(port, f"C{n}", deadline, outcome, lock))
            for n in range(connections)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
    finally:
        listener.terminate()
        listener.wait(10)
    from tracker.interop.models import InboundMessage

    stored = InboundMessage.objects.filter(sender="BENCHLAB").count()
    return {
        "seconds": round(elapsed, 1),
        "connections": connections,
        **outcome,
        "stored": stored,
        "messages_per_second": round(outcome["aa"] / elapsed, 1),
        "every_ack_correct": outcome["not_aa"] == 0 and stored == outcome["sent"],
    }


def processing(count: int) -> dict:
    from tracker.interop import services
    from tracker.interop.models import InboundMessage, MessageStatus

    ids = list(
        InboundMessage.objects.filter(status=MessageStatus.RECEIVED)
        .order_by("pk")
        .values_list("pk", flat=True)[:count]
    )
    started = time.perf_counter()
    for message_id in ids:
        services.message_process(message_id=message_id)
    elapsed = time.perf_counter() - started
    return {
        "messages": len(ids),
        "results_per_message": 4,
        "seconds": round(elapsed, 1),
        "messages_per_second": round(len(ids) / elapsed, 1),
    }


def fill_queue(total: int) -> None:
    """``total`` results waiting, one message each (bulk rows, as the listener stores them)."""
    from django.db import transaction

    from tracker.interop.models import InboundMessage, InboundResult, MessageStatus

    senders = ["CITYLAB", "RVL PATHOLOGY", "QUESTLAB", "LABCORP"]
    reasons = ["no_patient", "unknown_code", "unknown_unit", "several_patients"]
    with transaction.atomic():
        messages = InboundMessage.objects.bulk_create(
            InboundMessage(
                transport="mllp",
                sender=senders[n % 4],
                control_id=f"Q{n}",
                message_type="ORU^R01",
                version="2.5.1",
                raw=MESSAGE.format(control=f"Q{n}", mrn=f"X{n}", tg=200),
                ack_code="AA",
                status=MessageStatus.PROCESSED,
                patient_identifiers=[f"X{n}"],
                patient_family_name=f"Unknown{n}",
                patient_given_name="Pat",
                patient_date_of_birth=dt.date(1990, 1, 1),
            )
            for n in range(total)
        )
        InboundResult.objects.bulk_create(
            InboundResult(
                message=message,
                sequence=1,
                code="2571-8",
                code_system="LN",
                code_text="Triglyceride",
                value="200",
                unit="mg/dL",
                status="F",
                specimen_date=dt.date(2025, 11, 3),
                state="queued",
                queue_reason=reasons[n % 4],
                problem="No patient has this MRN.",
            )
            for n, message in enumerate(messages)
        )


def inbox_pages() -> dict:
    from django.contrib.auth.models import User
    from django.test import Client
    from django.urls import reverse

    client = Client()
    client.force_login(User.objects.get(username="bench-staff"))
    url = reverse("interop:queue")
    pages = {
        "inbox": url,
        "inbox page 200": f"{url}?page=200",
        "inbox, one reason": f"{url}?reason=unknown_code",
        "inbox, one lab": f"{url}?sender=RVL+PATHOLOGY",
        "inbox, search": f"{url}?q=unknown123",
    }

    def page(target):
        def call():
            response = client.get(target)
            assert response.status_code == 200, (target, response.status_code)

        return call

    return {name: timed(page(target), runs=60) for name, target in pages.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--process", type=int, default=300)
    parser.add_argument("--queued", type=int, default=10_000)
    args = parser.parse_args()
    os.environ.setdefault("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    common.setup()
    _prepare()
    from django.db import connection

    report = {"ingest": ingest(args.seconds, args.connections)}
    print(json.dumps(report), flush=True)
    report["processing"] = processing(args.process)
    print(json.dumps(report["processing"]), flush=True)
    fill_queue(args.queued)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    report["inbox_waiting"] = args.queued
    report["inbox"] = inbox_pages()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "hl7.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
