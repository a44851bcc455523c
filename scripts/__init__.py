"""Operational tools: benchmarks, load tester and monitor."""
