"""``python -m api``: start the server (same flags as ``matching-engine serve``)."""
from api.cli import main

if __name__ == "__main__":
    raise SystemExit(main(["serve", *__import__("sys").argv[1:]]))
