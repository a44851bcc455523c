"""``python -m api``: the ``matching-engine`` command; without a subcommand, ``serve`` (same flags)."""
import sys

from api.cli import main

if __name__ == "__main__":
    args = sys.argv[1:]
    raise SystemExit(main(args if args[:1] and args[0] in ("serve", "accounts", "journal") else ["serve", *args]))
