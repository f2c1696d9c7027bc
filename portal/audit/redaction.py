"""What an audit event shows to a reader who may not see health details: the event, not them.

The trail is read by admins, who may not open a resident's card, as well as by district
officers, who may. Without this an admin would read in `/audit?action=visit.create` what
the card refuses them: what a visit found, a refusal's reason, a medical reason, a note.
"""

from __future__ import annotations

from typing import Any

from portal.access import sees_health_details

# Keys of an event's before and after that hold health details, whatever the event: what a
# visit found and why (recording.py's visit facts), the standings they lead to, risk flags.
HEALTH_FIELDS = frozenset({
    "outcome", "standing", "refusal_reason", "screening_category", "deferred_until", "reason",
    "note", "chronic_condition", "immunocompromised", "pregnant",
    # What happened at a vaccination session (portal/vaccination): given, deferred, which dose.
    "appointment", "dose", "vaccine",
})


def details_for(viewer, before: dict[str, Any] | None,
                after: dict[str, Any] | None) -> tuple[dict[str, Any], dict[str, Any], bool]:
    """An event's before and after as the viewer may read them, and whether any was held back.

    A viewer who may see health details reads everything; another reads the rest (which
    resident and campaign, a register status), and is told that something was held back.
    """
    before, after = dict(before or {}), dict(after or {})
    if sees_health_details(viewer):
        return before, after, False
    hidden = HEALTH_FIELDS & (before.keys() | after.keys())
    return ({k: v for k, v in before.items() if k not in hidden},
            {k: v for k, v in after.items() if k not in hidden}, bool(hidden))
