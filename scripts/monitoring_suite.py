"""The monitor under its original name: ``python -m scripts.monitoring_suite [mode] ...``."""
from scripts.monitor.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
