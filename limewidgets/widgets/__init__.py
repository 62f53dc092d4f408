"""Interactive anywidget views of explanations (one module per kind)."""
