"""The load tester under its original name: ``python -m scripts.advanced_load_test --url ... --rate ...``."""
from scripts.loadtest.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
