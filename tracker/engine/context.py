"""The course as the engine sees it on one date: facts dated on or before T, and the
questions every part of the evaluation asks of them (which test qualifies, is it on hold)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from tracker.engine.facts import (
    Category,
    CourseFacts,
    HoldResolution,
    PregnancyTest,
    TestResult,
)
from tracker.engine.rules import ProfileSettings, RuleSet


class Dated(Protocol):
    @property
    def id(self) -> int: ...

    @property
    def date(self) -> date: ...


def _upto[E: Dated](events: tuple[E, ...], today: date) -> tuple[E, ...]:
    return tuple(sorted((e for e in events if e.date <= today), key=lambda e: (e.date, e.id)))


@dataclass(frozen=True)
class CourseContext:
    course: CourseFacts
    ruleset: RuleSet
    today: date
    settings: ProfileSettings | None
    start: date | None  # S
    end: date | None  # E, only when E <= T
    started: bool  # S known, not planned and S <= T
    ended: bool  # E <= T
    hold_test: PregnancyTest | None  # the positive test holding the course, if any
    # Events dated on or before T, sorted, per tuple of facts: computed once per evaluation.
    _sorted: dict[int, tuple] = field(default_factory=dict, compare=False, repr=False)
    # Answers that depend only on the facts, T and a rule (windows, candidate and satisfying
    # events), kept for this evaluation: several items and checks ask the same question.
    memo: dict[tuple, object] = field(default_factory=dict, compare=False, repr=False)

    @property
    def profile(self) -> str:
        return str(self.course.profile)

    @property
    def category(self) -> Category | None:
        return self.course.patient.category

    @property
    def on_hold(self) -> bool:
        return self.hold_test is not None

    @property
    def can_get_pregnant(self) -> bool:
        """CGP, or not yet categorised: the pregnancy rules then apply (the safer reading)."""
        return self.category != Category.CANNOT_GET_PREGNANT

    def tests(self) -> tuple[PregnancyTest, ...]:
        return self.upto(self.course.pregnancy_tests)

    def negative_tests(self) -> tuple[PregnancyTest, ...]:
        return tuple(t for t in self.tests() if t.result == TestResult.NEGATIVE)

    def pre_start_test(self, test_date: date) -> bool:
        """Tests on or before S, and every test while the course is planned, are pre-start."""
        return self.course.start_is_planned or self.start is None or test_date <= self.start

    def accepted_settings(
        self, test_date: date, *, first_dispense: bool = False
    ) -> tuple[str, ...]:
        s = self.settings
        if s is None:
            return ()
        if first_dispense or self.pre_start_test(test_date):
            return s.pre_start_test_settings
        extra = s.home_testing_test_settings if self.course.patient.home_testing_permitted else ()
        return s.treatment_test_settings + extra

    def test_qualifies(self, test: PregnancyTest, *, first_dispense: bool = False) -> bool:
        return test.result == TestResult.NEGATIVE and test.setting in self.accepted_settings(
            test.date, first_dispense=first_dispense
        )

    def qualifying_tests(self, *, first_dispense: bool = False) -> tuple[PregnancyTest, ...]:
        return tuple(
            t for t in self.tests() if self.test_qualifies(t, first_dispense=first_dispense)
        )

    def methods_qualify(self, methods: frozenset[str], min_methods: int) -> bool:
        single = self.ruleset.settings.single_method_contraception
        return len(methods) >= min_methods or any(m in single for m in methods)

    def upto[E: Dated](self, events: tuple[E, ...]) -> tuple[E, ...]:
        key = id(events)  # the facts' own tuples, alive as long as this context
        if key not in self._sorted:
            self._sorted[key] = _upto(events, self.today)
        return self._sorted[key]


def _hold_test(course: CourseFacts, today: date) -> PregnancyTest | None:
    positives = [t for t in _upto(course.pregnancy_tests, today) if t.result == TestResult.POSITIVE]
    resolutions: tuple[HoldResolution, ...] = _upto(course.hold_resolutions, today)
    holding = [p for p in positives if not any(r.date >= p.date for r in resolutions)]
    return holding[0] if holding else None


def build_context(course: CourseFacts, ruleset: RuleSet, today: date) -> CourseContext:
    start = course.start
    end = course.end if course.end is not None and course.end <= today else None
    started = start is not None and not course.start_is_planned and start <= today
    return CourseContext(
        course=course,
        ruleset=ruleset,
        today=today,
        settings=ruleset.profile_settings(str(course.profile)),
        start=start,
        end=end,
        started=started,
        ended=end is not None,
        hold_test=_hold_test(course, today),
    )
