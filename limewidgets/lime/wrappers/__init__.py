"""Compatibility package for ``lime.wrappers``."""
