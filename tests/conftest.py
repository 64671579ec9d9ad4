import os

# Headless rendering: MuJoCo chooses its GL backend on first import.
os.environ.setdefault("MUJOCO_GL", "egl")
