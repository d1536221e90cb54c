"""Persistence: tables, queries, migrations and image files."""
