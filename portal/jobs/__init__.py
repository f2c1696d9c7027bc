"""Slow work off the request: list files now, imports next. See runner.py."""
