"""The dashboard at / (files from frontend/) and the offline API docs at /docs."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, send_from_directory

FRONTEND_DIR = Path(__file__).resolve().parent.parent / "frontend"
STATIC_DIR = Path(__file__).resolve().parent / "static"

bp = Blueprint("site", __name__)


@bp.get("/")
def dashboard() -> Any:
    return send_from_directory(current_app.config["FRONTEND_DIR"], "index.html", max_age=0)


@bp.get("/app/<path:filename>")
def dashboard_asset(filename: str) -> Any:
    # send_from_directory joins safely: '..' or absolute paths give 404, never a file outside.
    return send_from_directory(current_app.config["FRONTEND_DIR"], filename, max_age=0)


@bp.get("/docs")
def docs() -> Any:
    return send_from_directory(STATIC_DIR, "docs.html", max_age=0)


@bp.get("/docs/<path:filename>")
def docs_asset(filename: str) -> Any:
    return send_from_directory(STATIC_DIR, filename, max_age=0)
