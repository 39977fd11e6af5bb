"""Inline keyboards, one module per feature."""
