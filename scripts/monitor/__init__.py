"""Server monitor: process resources (psutil) and the server's own /metrics and /health.

Entry point: ``matching-engine-monitor`` (``scripts.monitor.cli:main``).
"""
