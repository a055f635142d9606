"""Course charts: triglycerides, ALT as a multiple of the ULN, and the cumulative dose with its
target band and projection, as data that ``tracker/_chart_svg.html`` draws as SVG.

The builders are pure functions of the course's facts and the rule set (no database, no clock);
``course_charts`` loads both once. They return where each band, line, tick and point goes (in
SVG user units, as short strings), with its words and paint; the template draws the elements.
Colours are presentation attributes (allowed by the Content Security Policy) and never the only
cue: bands are labelled, threshold lines have their own dash patterns, and each chart comes
with a data table for screen readers.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils import timezone

from patients.models import Course
from tracker.engine import RuleSet, evaluate
from tracker.engine.facts import CourseFacts, CumulativeMethod
from tracker.engine.rules import Comparison
from tracker.engine.vocabulary import LEVEL_LABELS
from tracker.monitoring.facts import course_facts
from tracker.monitoring.rulesets import current_ruleset

# Geometry of every chart, in SVG user units (the SVG scales to its container).
WIDTH, HEIGHT = 760, 300
LEFT, RIGHT, TOP, BOTTOM = 64, 188, 18, 50

INK = "#212529"
MUTED = "#495057"
GRID = "#dee2e6"
LINE = "#0a3d62"
BAND_FILL = {"info": "#fff3cd", "high": "#ffe0c2", "critical": "#f5c2c7"}
BAND_EDGE = {"info": "#997404", "high": "#a04b00", "critical": "#842029"}
BAND_DASH = {"info": "2 3", "high": "7 4", "critical": ""}
LEVEL_WORDS = LEVEL_LABELS
COMPARISON_SIGN = {
    Comparison.GTE: "≥",
    Comparison.GT: ">",
    Comparison.LT: "<",
    Comparison.ULN_GT: ">",
}
TARGET_FILL = "#d1e7dd"
TARGET_EDGE = "#0f5132"


# --- small helpers ---------------------------------------------------------------------------


def _n(x: float) -> str:
    """A coordinate, short."""
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _fmt(value: float, digits: int = 1) -> str:
    text = f"{value:.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _nice_max(value: float) -> float:
    """A round axis maximum at or above ``value``."""
    if value <= 0:
        return 1.0
    exp = 10 ** math.floor(math.log10(value))
    for step in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if step * exp >= value:
            return step * exp
    return 10 * exp


def _ticks(top: float, count: int = 5) -> list[float]:
    raw = top / count
    exp = 10 ** math.floor(math.log10(raw))
    step = next(s * exp for s in (1, 2, 2.5, 5, 10) if s * exp >= raw)
    n = int(top / step + 1e-9)
    return [i * step for i in range(n + 1)]


@dataclass(frozen=True)
class Frame:
    """Maps dates and values to SVG coordinates."""

    x0: date
    x1: date
    y_top: float

    @property
    def plot_w(self) -> float:
        return WIDTH - LEFT - RIGHT

    @property
    def plot_h(self) -> float:
        return HEIGHT - TOP - BOTTOM

    def x(self, day: date) -> float:
        span = max((self.x1 - self.x0).days, 1)
        return LEFT + self.plot_w * (day - self.x0).days / span

    def y(self, value: float) -> float:
        value = min(max(value, 0.0), self.y_top)
        return TOP + self.plot_h * (1 - value / self.y_top)


def _month_ticks(x0: date, x1: date) -> list[date]:
    months = (x1.year - x0.year) * 12 + x1.month - x0.month + 1
    every = 1 if months <= 10 else 2 if months <= 20 else 3
    ticks = []
    y, m = x0.year, x0.month
    while True:
        day = date(y, m, 1)
        if day > x1:
            break
        if day >= x0 and (m - 1) % every == 0:
            ticks.append(day)
        m += 1
        if m == 13:
            y, m = y + 1, 1
    if len(ticks) < 2:  # a short span: weekly ticks
        first = x0 + timedelta(days=(7 - x0.weekday()) % 7)
        ticks = [first + timedelta(days=7 * i) for i in range((x1 - first).days // 7 + 1)]
    return ticks


def _date_label(day: date) -> str:
    return f"{day:%b %Y}" if day.day == 1 else f"{day.day} {day:%b}"


def _axes(frame: Frame, y_unit: str, y_format=_fmt) -> dict:
    """The ticks and labels of both axes."""
    return {
        "y_ticks": [
            {"y": _n(frame.y(value)), "label": y_format(value)} for value in _ticks(frame.y_top)
        ],
        "x_ticks": [
            {"x": _n(frame.x(day)), "label": _date_label(day)}
            for day in _month_ticks(frame.x0, frame.x1)
        ],
        "y_unit": y_unit,
    }


def _ended(facts: CourseFacts, today: date) -> date | None:
    """E once it counts (E <= T)."""
    return facts.end if facts.end is not None and facts.end <= today else None


def _course_markers(frame: Frame, start: date | None, end: date | None) -> list[dict]:
    return [
        {"x": _n(frame.x(day)), "label": label}
        for day, label in ((start, "Start"), (end, "Last dose"))
        if day is not None and frame.x0 <= day <= frame.x1
    ]


def _band_parts(frame: Frame, bands: Sequence[Band]) -> dict:
    """Shaded bands from each threshold up to the next, with the line and label at the
    threshold (labels in the right margin, nudged apart when thresholds are close)."""
    ordered = [b for b in sorted(bands, key=lambda b: b.value) if b.value < frame.y_top]
    shaded, lines = [], []
    label_ys: list[float] = []
    for i, band in enumerate(ordered):
        upper = ordered[i + 1].value if i + 1 < len(ordered) else frame.y_top
        y_lo, y_hi = frame.y(band.value), frame.y(min(upper, frame.y_top))
        shaded.append(
            {
                "level": band.level,
                "y": _n(y_hi),
                "height": _n(y_lo - y_hi),
                "fill": BAND_FILL.get(band.level, "#eee"),
            }
        )
    for band in ordered:
        y = frame.y(band.value)
        label_y = y
        while any(abs(label_y - other) < 13 for other in label_ys):
            label_y -= 13
        label_ys.append(label_y)
        lines.append(
            {
                "y": _n(y),
                "label_y": _n(label_y),
                "edge": BAND_EDGE.get(band.level, INK),
                "dash": BAND_DASH.get(band.level, ""),
                "level_words": band.level_words,
                "text": band.text,
            }
        )
    return {"bands": shaded, "thresholds": lines}


def _svg(uid: str, title: str, desc: str, **parts) -> dict:
    """What ``tracker/_chart_svg.html`` draws: the frame, the parts, the accessible name."""
    return {
        "uid": uid,
        "title": title,
        "desc": desc,
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "top": TOP,
        "bottom": HEIGHT - BOTTOM,
        "plot_width": _n(WIDTH - LEFT - RIGHT),
        "label_x": WIDTH - RIGHT + 8,
        "middle_x": f"{LEFT + (WIDTH - LEFT - RIGHT) / 2:.0f}",
        "middle_y": f"{TOP + (HEIGHT - TOP - BOTTOM) / 2:.0f}",
        "caption_y": HEIGHT - 8,
        "tick_end": HEIGHT - BOTTOM + 5,
        "tick_label_y": HEIGHT - BOTTOM + 18,
        "marker_label_y": TOP - 5,
        "y_label_x": LEFT - 6,
        "colours": {"ink": INK, "muted": MUTED, "grid": GRID, "line": LINE},
        **parts,
    }


# --- bands from the rule set -----------------------------------------------------------------


@dataclass(frozen=True)
class Band:
    value: float
    level: str
    text: str

    @property
    def level_words(self) -> str:
        return LEVEL_WORDS.get(self.level, self.level.capitalize())


def lab_bands(ruleset: RuleSet, analyte: str, unit: str) -> list[Band]:
    """The active lab thresholds of ``analyte`` from the rule set, lowest first."""
    bands = []
    for t in ruleset.thresholds:
        if not t.active or str(t.source) != "lab" or t.analyte != analyte:
            continue
        if t.comparison == Comparison.LT:
            continue  # a low limit (HDL) is not drawn as a band from below
        sign = COMPARISON_SIGN.get(t.comparison, "≥")
        if t.comparison == Comparison.ULN_GT:
            text = f"{sign} {_fmt(t.value)}× ULN"
        else:
            text = f"{sign} {_fmt(t.value)} {unit}"
        bands.append(Band(value=float(t.value), level=str(t.level), text=text))
    return sorted(bands, key=lambda b: b.value)


def _level_of(value: float, bands: Sequence[Band], strict: bool) -> str:
    level = "normal"
    for band in bands:
        if value > band.value or (not strict and value >= band.value):
            level = band.level
    return level


# --- lab charts ------------------------------------------------------------------------------


def _lab_domain(points: Sequence[date], facts: CourseFacts, today: date) -> tuple[date, date]:
    days = list(points)
    if facts.start is not None:
        days.append(facts.start)
    lo, hi = min(days), max(days)
    hi = max(hi, min(today, hi + timedelta(days=30)))
    pad = max(7, (hi - lo).days // 20)
    return lo - timedelta(days=pad), hi + timedelta(days=pad)


def _point_parts(frame: Frame, points: Sequence[dict], label: bool) -> dict:
    """The results as points (hollow: an assumed ULN), joined by a line when there are two or
    more, with their values written above them when there are few."""
    series = None
    if len(points) > 1:
        coords = " ".join(f"{_n(frame.x(p['date']))},{_n(frame.y(p['y']))}" for p in points)
        series = {"points": coords, "width": "2"}
    shown = [
        {
            "x": _n(frame.x(p["date"])),
            "y": _n(frame.y(p["y"])),
            "fill": "#ffffff" if p.get("hollow", False) else LINE,
            "tooltip": p["tooltip"],
            "label": p["label"] if label else "",
            "label_y": _n(frame.y(p["y"]) - 9),
        }
        for p in points
    ]
    return {"series": series, "points": shown}


def _empty(uid: str, title: str, text: str) -> dict:
    return {"id": uid, "title": title, "empty": True, "empty_text": text, "svg": None, "rows": []}


def triglycerides_chart(facts: CourseFacts, ruleset: RuleSet, *, today: date, uid: str) -> dict:
    """Triglycerides (canonical mg/dL) over time with the rule set's thresholds as bands."""
    title = "Triglycerides over time"
    results = sorted(
        (r for r in facts.lab_results if r.analyte == "triglycerides" and r.date <= today),
        key=lambda r: (r.date, r.id),
    )
    if not results:
        return _empty(uid, title, "No triglyceride results recorded for this course.")
    unit = "mg/dL"
    bands = lab_bands(ruleset, "triglycerides", unit)
    values = [r.canonical_value for r in results]
    top = _nice_max(max([*values, *(b.value for b in bands)]) * 1.1)
    frame = Frame(*_lab_domain([r.date for r in results], facts, today), y_top=top)
    rows, points = [], []
    for r in results:
        level = _level_of(r.canonical_value, bands, strict=False)
        reported = f"{_fmt(r.value, 2)} {r.unit}"
        shown = f"{_fmt(r.canonical_value, 0)} {unit}"
        rows.append(
            {
                "date": r.date,
                "value": shown,
                "reported": reported if r.unit != unit else "",
                "level": LEVEL_WORDS.get(level, "Below thresholds"),
            }
        )
        points.append(
            {
                "date": r.date,
                "y": r.canonical_value,
                "label": _fmt(r.canonical_value, 0),
                "tooltip": f"{r.date:%-d %b %Y}: {shown}"
                + (f" (reported {reported})" if r.unit != unit else ""),
            }
        )
    latest = results[-1]
    desc = (
        f"{len(results)} triglyceride result{'s' if len(results) != 1 else ''} from "
        f"{results[0].date:%-d %b %Y} to {latest.date:%-d %b %Y}; latest "
        f"{_fmt(latest.canonical_value, 0)} {unit}; highest {_fmt(max(values), 0)} {unit}. "
        "Bands: " + "; ".join(f"{b.level_words} {b.text}" for b in bands) + "."
    )
    body = {
        **_band_parts(frame, bands),
        **_axes(frame, f"Triglycerides ({unit})"),
        "markers": _course_markers(frame, facts.start, _ended(facts, today)),
        **_point_parts(frame, points, label=len(points) <= 16),
    }
    return {
        "id": uid,
        "title": title,
        "empty": False,
        "svg": _svg(uid, title, desc, **body),
        "desc": desc,
        "columns": ["Date", f"Triglycerides ({unit})", "As reported", "Band"],
        "rows": [[row["date"], row["value"], row["reported"], row["level"]] for row in rows],
        "note": "Values in mg/dL (mmol/L × 88.57). Bands come from the clinic's alert thresholds.",
    }


def alt_chart(facts: CourseFacts, ruleset: RuleSet, *, today: date, uid: str) -> dict:
    """ALT as a multiple of each result's upper limit of normal (or the rule set's default)."""
    title = "ALT as a multiple of the upper limit of normal"
    results = sorted(
        (r for r in facts.lab_results if r.analyte == "alt" and r.date <= today),
        key=lambda r: (r.date, r.id),
    )
    if not results:
        return _empty(uid, title, "No ALT results recorded for this course.")
    default_uln = ruleset.settings.default_uln
    bands = lab_bands(ruleset, "alt", "U/L")
    multiples = [r.canonical_value / (r.uln or default_uln) for r in results]
    top = _nice_max(max([*multiples, *(b.value for b in bands)]) * 1.15)
    frame = Frame(*_lab_domain([r.date for r in results], facts, today), y_top=top)
    rows, points = [], []
    for r, multiple in zip(results, multiples, strict=True):
        uln = r.uln or default_uln
        assumed = r.uln is None
        level = _level_of(multiple, bands, strict=True)
        uln_text = f"{_fmt(uln)} U/L" + (" (assumed)" if assumed else "")
        rows.append(
            [
                r.date,
                f"{_fmt(multiple, 2)}× ULN",
                f"{_fmt(r.canonical_value)} U/L",
                uln_text,
                LEVEL_WORDS.get(level, "Within normal"),
            ]
        )
        points.append(
            {
                "date": r.date,
                "y": multiple,
                "hollow": assumed,
                "label": f"{_fmt(multiple, 1)}×",
                "tooltip": f"{r.date:%-d %b %Y}: {_fmt(r.canonical_value)} U/L, "
                f"ULN {uln_text} = {_fmt(multiple, 2)}× ULN",
            }
        )
    latest = multiples[-1]
    desc = (
        f"{len(results)} ALT result{'s' if len(results) != 1 else ''} from "
        f"{results[0].date:%-d %b %Y} to {results[-1].date:%-d %b %Y}; latest "
        f"{_fmt(latest, 2)} times the upper limit of normal; highest {_fmt(max(multiples), 2)}. "
        "Bands: " + "; ".join(f"{b.level_words} {b.text}" for b in bands) + "."
    )
    body = {
        **_band_parts(frame, bands),
        **_axes(frame, "ALT (× ULN)", y_format=lambda v: f"{_fmt(v)}×"),
        "markers": _course_markers(frame, facts.start, _ended(facts, today)),
        **_point_parts(frame, points, label=len(points) <= 16),
    }
    note = "ALT divided by the lab's upper limit of normal."
    if any(r.uln is None for r in results):
        note += (
            f" Hollow markers: the lab gave no ULN, {_fmt(default_uln)} U/L (the clinic's "
            "default) is assumed."
        )
    return {
        "id": uid,
        "title": title,
        "empty": False,
        "svg": _svg(uid, title, desc, **body),
        "desc": desc,
        "columns": ["Date", "Multiple of ULN", "ALT", "ULN", "Band"],
        "rows": rows,
        "note": note,
    }


# --- cumulative dose -------------------------------------------------------------------------


class _Steps:
    """The value of the latest entry on or before a day (later ids win on the same day)."""

    def __init__(self, entries: list[tuple[date, int, float]]) -> None:
        entries.sort()
        self.keys = [(d, i) for d, i, _ in entries]
        self.values = [v for _, _, v in entries]

    def on(self, day: date) -> float | None:
        i = bisect_right(self.keys, (day, math.inf))
        return self.values[i - 1] if i else None


def cumulative_series(facts: CourseFacts, today: date) -> list[tuple[date, float]]:
    """Cumulative mg/kg at the end of each treatment day, by the course's own method.

    Section 6 of the clinical rules: sum over each treatment day (S to min(T, E)) of that day's
    mg divided by the latest weight on or before that day (the start weight counts as
    recorded on S; a weight measured on S replaces it); the alternative divides the total mg by
    the start weight. Only facts dated on or before ``today`` count.
    """
    start = facts.start
    if start is None or facts.start_is_planned or start > today:
        return []
    last = min(today, facts.end) if facts.end is not None and facts.end <= today else today
    doses = _Steps([(d.date, d.id, d.mg_per_day) for d in facts.doses if d.date <= today])
    entries = [(w.date, 1 + w.id, w.kg) for w in facts.weights if w.date <= today]
    if facts.weight_kg is not None:
        entries.append((start, 0, facts.weight_kg))
    weights = _Steps(entries)
    series: list[tuple[date, float]] = []
    total_mg, per_kg = 0.0, 0.0
    day = start
    while day <= last:
        mg = doses.on(day) or 0.0
        total_mg += mg
        if facts.cumulative_method == CumulativeMethod.START_WEIGHT:
            if not facts.weight_kg:
                return []
            value = total_mg / facts.weight_kg
        else:
            kg = weights.on(day)
            if not kg:
                return []
            per_kg += mg / kg
            value = per_kg
        series.append((day, value))
        day += timedelta(days=1)
    return series


def _thin(series: list[tuple[date, float]], most: int = 240) -> list[tuple[date, float]]:
    if len(series) <= most:
        return series
    step = math.ceil(len(series) / most)
    kept = series[::step]
    return kept if kept[-1] == series[-1] else [*kept, series[-1]]


def dose_chart(facts: CourseFacts, ruleset: RuleSet, *, today: date, uid: str) -> dict:
    """Cumulative mg/kg over the course, the target band, the course target and the projection
    to the date the target is reached (from the engine's ``target_reached_on``)."""
    title = "Cumulative dose (mg/kg)"
    series = cumulative_series(facts, today)
    if not series:
        if facts.start_is_planned or facts.start is None or facts.start > today:
            text = "The course has not started: no dose taken yet."
        else:
            text = "No cumulative dose can be computed: a dose or weight is missing."
        return _empty(uid, title, text)
    evaluation = evaluate(facts, ruleset, today)
    derived = evaluation.derived
    settings = ruleset.settings
    target = facts.target_mg_per_kg
    band_lo, band_hi = settings.target_band_mg_per_kg, settings.upper_limit_mg_per_kg
    reached_on = derived.target_reached_on
    current_day, current = series[-1]
    x1 = current_day
    if reached_on is not None and reached_on > x1:
        x1 = reached_on
    if facts.end is not None and facts.end <= today:
        x1 = max(x1, facts.end)
    x1 = max(x1, facts.start + timedelta(days=30))  # type: ignore[operator]
    pad = max(5, (x1 - facts.start).days // 25)  # type: ignore[operator]
    frame = Frame(
        facts.start,  # type: ignore[arg-type]
        x1 + timedelta(days=pad),
        y_top=_nice_max(max(current, band_hi, target) * 1.1),
    )
    y_lo, y_hi, y_target = frame.y(band_lo), frame.y(band_hi), frame.y(target)
    cx, cy = _n(frame.x(current_day)), _n(frame.y(current))
    projected = reached_on is not None and reached_on > current_day
    parts = {
        "target_band": {
            "y": _n(y_hi),
            "height": _n(y_lo - y_hi),
            "label_y": _n((y_lo + y_hi) / 2 + 12),
            "text": f"{_fmt(band_lo)}–{_fmt(band_hi)} mg/kg",
        },
        "target_fill": TARGET_FILL,
        "target_edge": TARGET_EDGE,
        **_axes(frame, "Cumulative dose (mg/kg)"),
        "target_line": {
            "y": _n(y_target),
            "label_y": _n(y_target - 4),
            "text": f"{_fmt(target)} mg/kg",
        },
        # the x axis starts at S, so only the last dose is marked
        "markers": _course_markers(frame, None, _ended(facts, today)),
        "series": {
            "points": " ".join(f"{_n(frame.x(d))},{_n(frame.y(v))}" for d, v in _thin(series)),
            "width": "2.5",
        },
        "current": {
            "x": cx,
            "y": cy,
            "label_y": _n(frame.y(current) - 10),
            "tooltip": f"{current_day:%-d %b %Y}: {_fmt(current)} mg/kg",
            "text": f"{_fmt(current)} mg/kg",
        },
    }
    if projected:
        parts["projection"] = {
            "x": _n(frame.x(reached_on)),  # type: ignore[arg-type]
            "y": _n(y_target),
            "label_y": _n(y_target - 10),
            "text": f"projected {reached_on:%-d %b %Y}",
        }
    elif reached_on is not None:
        parts["reached"] = {
            "x": _n(frame.x(reached_on)),
            "label_y": HEIGHT - BOTTOM - 6,
            "text": f"target reached {reached_on:%-d %b %Y}",
        }
    method = (
        "daily dose ÷ latest weight, summed per day"
        if facts.cumulative_method == CumulativeMethod.DAILY_WEIGHT
        else "total mg ÷ start weight"
    )
    desc = (
        f"Cumulative dose {_fmt(current)} mg/kg on {current_day:%-d %b %Y} ({method}); "
        f"course target {_fmt(target)} mg/kg; target band {_fmt(band_lo)}–{_fmt(band_hi)} mg/kg. "
        + (
            f"At the current dose the target is projected to be reached on {reached_on:%-d %b %Y}."
            if projected
            else f"Target reached on {reached_on:%-d %b %Y}."
            if reached_on is not None
            else "No date for reaching the target can be projected."
        )
    )
    rows = [[d, f"{_fmt(v)} mg/kg", ""] for d, v in series[::30]]
    if rows[-1][0] != current_day:
        rows.append([current_day, f"{_fmt(current)} mg/kg", "latest"])
    else:
        rows[-1][2] = "latest"
    if projected:
        rows.append([reached_on, f"{_fmt(target)} mg/kg", "projected (target reached)"])
    return {
        "id": uid,
        "title": title,
        "empty": False,
        "svg": _svg(uid, title, desc, **parts),
        "desc": desc,
        "columns": ["Date", "Cumulative dose", "Note"],
        "rows": rows,
        "note": f"Method: {method}. The dashed line projects the current dose and weight "
        "forward to the course target.",
        "current": current,
        "engine_current": derived.cumulative_mg_per_kg,
        "target_reached_on": reached_on,
    }


# --- selector --------------------------------------------------------------------------------


def build_charts(facts: CourseFacts, ruleset: RuleSet, *, today: date, prefix: str) -> dict:
    charts = [
        triglycerides_chart(facts, ruleset, today=today, uid=f"{prefix}-tg"),
        alt_chart(facts, ruleset, today=today, uid=f"{prefix}-alt"),
        dose_chart(facts, ruleset, today=today, uid=f"{prefix}-dose"),
    ]
    return {"today": today, "charts": charts, "prefix": prefix}


def course_charts(
    course: Course,
    *,
    today: date | None = None,
    facts: CourseFacts | None = None,
    ruleset: RuleSet | None = None,
) -> dict:
    """Triglycerides, ALT and cumulative-dose charts of a course, for ``_charts.html``.

    Records entered in error are left out (they are not in the course's facts).
    """
    today = today or timezone.localdate()
    prefix = f"course-{course.pk}-chart"
    try:
        charts = build_charts(
            facts or course_facts(course), ruleset or current_ruleset(), today=today, prefix=prefix
        )
    except OverflowError:
        # Dates near the ends of the calendar (stored before dates were checked).
        charts = {"today": today, "charts": [], "prefix": prefix, "note": OUT_OF_RANGE_NOTE}
    charts["course"] = course
    return charts


OUT_OF_RANGE_NOTE = (
    "The course's dates are too far from today to draw. Correct the start or end of the course."
)
