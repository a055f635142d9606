"""Course charts: SVG drawn on the server from the facts and the clinic's rule set."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace

import pytest
from django.template.loader import render_to_string

from patients import services
from tests.tracker.engine_helpers import default_rules, facts, lab
from tests.tracker.test_grid import TODAY, build_history
from tracker.engine import evaluate
from tracker.models import AlertThreshold
from tracker.web.charts import (
    alt_chart,
    course_charts,
    cumulative_series,
    dose_chart,
    triglycerides_chart,
)


def chart(charts, key):
    return next(c for c in charts["charts"] if c["id"].endswith(f"-{key}"))


def drawn(chart) -> str:
    """The chart's SVG, as the page draws it."""
    return render_to_string("tracker/_chart_svg.html", {"svg": chart["svg"]})


def points(chart) -> int:
    return len(re.findall(r'class="chart-point"', drawn(chart)))


@pytest.fixture
def course(alice):
    return build_history(alice)


@pytest.mark.django_db
def test_triglyceride_chart_has_one_point_per_result_and_the_threshold_bands(course):
    tg = chart(course_charts(course, today=TODAY), "tg")
    assert points(tg) == 2  # 98 mg/dL on 20 Feb, 600 mg/dL on 5 May
    svg = drawn(tg)
    for text in ("≥ 150 mg/dL", "≥ 500 mg/dL", "≥ 797 mg/dL", "Critical", "High", "Info"):
        assert text in svg
    assert svg.count('class="chart-band ') == 3


@pytest.mark.django_db
def test_bands_follow_the_clinics_thresholds(course):
    high = AlertThreshold.objects.get(analyte="triglycerides", level="high")
    high.value = 450
    high.save()
    svg = drawn(chart(course_charts(course, today=TODAY), "tg"))
    assert "≥ 450 mg/dL" in svg
    assert "≥ 500 mg/dL" not in svg


@pytest.mark.django_db
def test_results_entered_in_error_are_left_out(course, alice):
    wrong = course.labresults.get(analyte="triglycerides", date=dt.date(2026, 5, 5))
    services.record_mark_entered_in_error(
        record=wrong, reason="other patient", by=alice, today=TODAY
    )
    charts = course_charts(course, today=TODAY)
    assert points(chart(charts, "tg")) == 1
    assert "5 May 2026" not in drawn(chart(charts, "tg"))


@pytest.mark.django_db
def test_each_chart_has_a_title_a_description_and_a_text_alternative(course):
    charts = course_charts(course, today=TODAY)
    for c in charts["charts"]:
        svg = drawn(c)
        assert f'<title id="{c["id"]}-title">' in svg
        assert f'<desc id="{c["id"]}-desc">' in svg
        assert f'role="img" aria-labelledby="{c["id"]}-title {c["id"]}-desc"' in svg
    html = render_to_string("tracker/_charts.html", {"charts": charts})
    assert html.count('<table class="visually-hidden">') == 3
    assert "5 May 2026" in html  # the high triglyceride result, in the data table
    assert "style=" not in html
    assert "<script" not in html


def test_text_in_the_svg_is_escaped():
    result = lab("2026-04-01", "triglycerides", 2, "mmol/L")
    course = facts([result], start="2026-03-02")
    tampered = replace(
        course, lab_results=tuple(replace(r, unit="<script>x</script>") for r in course.lab_results)
    )
    svg = drawn(triglycerides_chart(tampered, default_rules(), today=dt.date(2026, 5, 1), uid="t"))
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg


def test_alt_uses_each_results_uln_or_the_default():
    course = facts(
        [
            lab("2026-04-01", "alt", 120, "U/L", uln=30),  # 4× its own ULN
            lab("2026-04-20", "alt", 80, "U/L"),  # no ULN: 2× the default 40 U/L
        ],
        start="2026-03-02",
    )
    alt = alt_chart(course, default_rules(), today=dt.date(2026, 5, 1), uid="a")
    assert [row[1] for row in alt["rows"]] == ["4× ULN", "2× ULN"]
    assert alt["rows"][1][3] == "40 U/L (assumed)"
    svg = drawn(alt)
    for text in ("&gt; 1× ULN", "&gt; 3× ULN", "&gt; 5× ULN"):
        assert text in svg
    assert "assumed" in alt["note"]


def test_empty_state_when_there_are_no_results():
    course = facts([], start="2026-03-02")
    tg = triglycerides_chart(course, default_rules(), today=dt.date(2026, 5, 1), uid="t")
    assert tg["empty"]
    assert tg["svg"] is None
    assert "No triglyceride results" in tg["empty_text"]


@pytest.mark.django_db
def test_cumulative_dose_matches_the_engine_and_projects_to_the_target(course):
    dose = chart(course_charts(course, today=TODAY), "dose")
    # 40 mg/day at 60 kg from 2 March to 10 June: 101 days x 2/3 mg/kg
    assert dose["current"] == pytest.approx(101 * 40 / 60)
    assert dose["current"] == pytest.approx(dose["engine_current"])
    svg = drawn(dose)
    assert "Target band" in svg
    assert "120–150 mg/kg" in svg
    assert 'class="chart-projection"' in svg
    assert 'stroke-dasharray="6 4"' in svg
    # 150 - 67.3 = 82.7 mg/kg left at 2/3 mg/kg a day: 124 more days
    assert dose["target_reached_on"] == dt.date(2026, 10, 12)


def test_cumulative_series_uses_the_latest_weight_of_each_day():
    course = facts(
        [
            {"date": "2026-03-02", "type": "dose", "mg_per_day": 60},
            {"date": "2026-03-12", "type": "weight", "kg": 30},
        ],
        start="2026-03-02",
        weight=60,
    )
    today = dt.date(2026, 3, 21)
    series = cumulative_series(course, today)
    assert series[9] == (dt.date(2026, 3, 11), pytest.approx(10.0))  # 10 days at 1 mg/kg
    assert series[-1][1] == pytest.approx(10 + 10 * 2)  # then 10 days at 2 mg/kg
    engine = evaluate(course, default_rules(), today).derived.cumulative_mg_per_kg
    assert series[-1][1] == pytest.approx(engine)


def test_dose_chart_is_empty_before_the_course_starts():
    course = facts([], start="2026-03-02", planned=True)
    charts_today = dt.date(2026, 2, 1)
    dose = dose_chart(course, default_rules(), today=charts_today, uid="d")
    assert dose["empty"]
    assert "not started" in dose["empty_text"]
