"""``lime.submodular_pick`` for limewidgets."""

from limewidgets.engine.submodular_pick import SubmodularPick

__all__ = ["SubmodularPick"]
