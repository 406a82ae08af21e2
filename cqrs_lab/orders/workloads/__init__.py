"""Scaffolding that drives the order domain: standard workloads and bursts for charts and benchmarks."""
