"""Open- and closed-model HTTP load tester with Socket.IO fan-out measurement.

Entry point: ``matching-engine-loadtest`` (``scripts.loadtest.cli:main``).
"""
