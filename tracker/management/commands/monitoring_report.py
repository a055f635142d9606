"""Print the monitoring items and alerts of courses on a date, as JSON or CSV."""

import csv
import json
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from patients.models import OPEN_COURSE_STATUSES, Course
from tracker.monitoring.store import evaluate_courses


class Command(BaseCommand):
    help = "Print monitoring items and alerts as of a date (open courses, or one patient)."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", type=date.fromisoformat, required=True)
        parser.add_argument("--format", choices=["json", "csv"], default="json")
        parser.add_argument("--patient", metavar="MRN", help="Only this patient's courses.")

    def handle(self, *args, as_of, format, patient=None, **options):
        courses = Course.objects.select_related("patient").order_by("patient__mrn", "start")
        if patient:
            courses = courses.filter(patient__mrn=patient)
            if not courses.exists():
                raise CommandError(f"No course for a patient with MRN {patient!r}.")
        else:
            # The courses open on that date: a course completed or stopped since was still
            # ongoing on any date before its last dose (section 8). Cancelled ones never were.
            courses = courses.filter(
                Q(status__in=OPEN_COURSE_STATUSES) | Q(end__gt=as_of, start_is_planned=False)
            )
        courses = list(courses)
        evaluations = evaluate_courses(courses, as_of)
        rows = []
        for course in courses:
            evaluation = evaluations[course.pk]
            for item in evaluation.items.values():
                rows.append(
                    {
                        "mrn": course.patient.mrn,
                        "course_start": course.start.isoformat(),
                        "kind": "item",
                        "code": item.code,
                        "status": str(item.status),
                        "due_on": item.due_on.isoformat() if item.due_on else "",
                        "level": "",
                        "explanation": item.explanation,
                    }
                )
            for alert in evaluation.alerts:
                rows.append(
                    {
                        "mrn": course.patient.mrn,
                        "course_start": course.start.isoformat(),
                        "kind": "alert",
                        "code": f"{alert.source}:{alert.analyte or alert.instrument or ''}",
                        "status": "open" if alert.open else "reviewed",
                        "due_on": "",
                        "level": str(alert.level),
                        "explanation": "; ".join(alert.conditions),
                    }
                )
        if format == "json":
            self.stdout.write(json.dumps({"as_of": as_of.isoformat(), "rows": rows}, indent=2))
            return
        writer = csv.DictWriter(
            self.stdout,
            fieldnames=[
                "mrn",
                "course_start",
                "kind",
                "code",
                "status",
                "due_on",
                "level",
                "explanation",
            ],
        )
        writer.writeheader()
        writer.writerows(rows)
