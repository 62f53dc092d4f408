"""Compatibility package for ``lime.utils``."""
