"""Vaccination campaigns (đợt): who is targeted and by when."""
