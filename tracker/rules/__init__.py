"""Shipped rule data: ``default_rules.json`` is the default rule set (``tracker.engine.rules``)."""
