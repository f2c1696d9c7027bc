"""Visits: one row per knock on a door, and what it found."""
