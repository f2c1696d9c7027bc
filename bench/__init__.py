"""Benchmarks of the portal: `make bench` runs every one of them and prints one table."""
