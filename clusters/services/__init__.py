"""Writes for the clusters app, one module per model family."""
