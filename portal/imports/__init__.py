"""Imports of the police population register and of dose records from spreadsheets."""
