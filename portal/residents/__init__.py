"""Households, residents and their vaccine doses."""
