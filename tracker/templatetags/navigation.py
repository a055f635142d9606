"""The navigation bar's facts about the signed-in user."""

from __future__ import annotations

from django import template

from tracker.web.middleware import session_nav_facts

register = template.Library()


@register.simple_tag(takes_context=True)
def nav_facts(context) -> dict:
    """The navigation bar's facts about the user (roles, the links their role may use), as the
    session keeps them (refreshed at most a minute ago), else read now. Display only."""
    facts = session_nav_facts(context.get("request"), context.get("user"))
    return {**facts, "roles": ", ".join(facts.get("roles", []))}
