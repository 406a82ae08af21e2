"""cqrs_lab benchmarks: ``python -m benchmarks`` (see README, "Performance")."""
