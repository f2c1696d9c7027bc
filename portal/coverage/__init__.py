"""Coverage: where each campaign's target population stands, kept as it changes, and the
figures every page, list and document of a unit shows from it."""
