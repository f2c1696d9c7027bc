"""The audit trail: who did or saw what, when, from where, before and after."""
