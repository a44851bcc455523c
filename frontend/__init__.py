"""The dashboard's files (HTML, JS, CSS), installed as package data and served by api/site.py."""
