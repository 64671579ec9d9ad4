"""The reusable kit every plugin may build on: MJCF helpers (``mjcf``), the xArm7 arm and the base
class of hands mounted on it (``xarm7``), the 21 DexYCB objects from the YCB scans (``ycb``) and
numpy rigid-body helpers (``geometry``).

It belongs to no plugin, so two plugin packages never import each other to share it. Plugins
reach it through :mod:`trackbench.api`; the kit itself imports only the host's contracts.
"""
