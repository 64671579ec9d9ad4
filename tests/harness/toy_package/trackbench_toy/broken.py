"""A plugin whose import fails."""

raise RuntimeError("toy plugin exploded on import")
