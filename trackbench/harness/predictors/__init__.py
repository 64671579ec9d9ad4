"""What the host does with any predictor plugin: cut human sequences into windows (``windows``),
train (``training``) and evaluate (``evaluation``) it, keep the checkpoint cache the ``track``
method trains into on first use (``workflow``), and probe it on a robot's reset states
(``probe``, ``probe_plot``). Predictor plugins (the transformer) reach what they need of this
through :mod:`trackbench.api`."""
