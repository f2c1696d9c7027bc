"""Demo data: a province, a district (or none), communes and residents that look like the real thing."""

from datetime import date

# Every demo account's password, printed by `make run`.
DEMO_PASSWORD = "tungnha-demo"
# Seed 002 (Sóc Trăng, 08/07/2022) reports coverage on this day; ages are counted on it.
REFERENCE_DAY = date(2022, 7, 8)
# The lists of units the demo's tree can follow (as portal/units/load.py names them): "2019",
# province > district > wards; "2025", province > wards.
SCHEMES = ("2019", "2025")
