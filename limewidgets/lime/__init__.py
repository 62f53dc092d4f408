"""lime 0.2.0.1-compatible module paths: change ``lime`` to ``limewidgets.lime`` in imports."""
