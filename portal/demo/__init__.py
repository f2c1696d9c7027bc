"""Demo data: a province, a district, communes and residents that look like the real thing."""
