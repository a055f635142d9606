"""The monitoring engine: pure functions from course facts and a rule set to statuses,
alerts, violations, readiness and dose figures. No ORM, no clock: ``today`` is a parameter."""

from tracker.engine.evaluation import evaluate
from tracker.engine.results import (
    Alert,
    Derived,
    Evaluation,
    EventRef,
    Flag,
    ItemResult,
    Readiness,
    Status,
    Violation,
)
from tracker.engine.rules import (
    DispensingCheckSpec,
    ProfileSettings,
    RuleSet,
    RuleSetSettings,
    RuleSpec,
    ThresholdSpec,
    describe_rule,
    load_default_ruleset,
    load_ruleset,
    ruleset_to_dict,
)

__all__ = [
    "Alert",
    "Derived",
    "DispensingCheckSpec",
    "Evaluation",
    "EventRef",
    "Flag",
    "ItemResult",
    "ProfileSettings",
    "Readiness",
    "RuleSet",
    "RuleSetSettings",
    "RuleSpec",
    "Status",
    "ThresholdSpec",
    "Violation",
    "describe_rule",
    "evaluate",
    "load_default_ruleset",
    "load_ruleset",
    "ruleset_to_dict",
]
