"""Simulated time and seeded ids, so every run of a notebook prints the same thing."""
