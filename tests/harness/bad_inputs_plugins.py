"""Bad CLI inputs of issue 14, cases 3 (plugin host) and 4 (plan-time compatibility), as rows
(argv, exit status, a fragment of the one message) for the table-driven bad-input test.

Every row fails in the planner, before `run` creates or reads anything under --out, so no
fixture is needed: the built-in plugins suffice and the default --out is never touched.

Case 3 needs a third-party package installed, so it has no rows here; the toy package's entry
points cover it in tests/harness/test_plugins.py (with the `toy_plugins` fixture):
  - `toy_bare` (a hook returning a class, not a list): `list` and `run --dry-run` → exit 2,
    "returned the class BareRobot itself"; the other plugins are still listed.
  - `trackbench-toy:robots` (an entry point named like trackbench's own `robots`): `list` → exit 0,
    allegro, svh, xhand and the toy's leap all listed.
"""

ALLEGRO_GRASP = ["run", "--robot", "allegro", "--task", "grasp_lift"]
NO_RING = ["--set", "robot.synthetic_keypoints=[]"]  # Allegro then lacks the ring fingertip (16)
# Allegro's own keypoint sites, little finger first: cabinet reads keypoint 0 as the thumb.
THUMB_LAST = ("robot.keypoints=[{site: allegro/kp_little, human_index: 20}, "
              "{site: allegro/kp_middle, human_index: 12}, {site: allegro/kp_index, human_index: 8}, "
              "{site: allegro/kp_thumb, human_index: 4}]")

ROWS: list[tuple[list[str], int, str]] = [
    # track and amp map the robot's fingertips onto all five human ones.
    (ALLEGRO_GRASP + ["--method", "track", *NO_RING, "--dry-run"], 2,
     "allegro × grasp_lift × track: method 'track': it maps the robot's fingertips"),
    (ALLEGRO_GRASP + ["--method", "amp", *NO_RING, "--dry-run"], 2,
     "plays no human fingertip [16] and synthesises none"),
    # Sites the Spec names but the robot's MJCF model lacks.
    (ALLEGRO_GRASP + ["--method", "dense", "--set", "robot.wrist_site=nowhere", "--dry-run"], 2,
     "robot 'allegro': wrist site 'nowhere' is not in the model"),
    (ALLEGRO_GRASP + ["--method", "dense", *NO_RING,
                      "--set", "robot.keypoints=[{site: allegro/nope, human_index: 4}]",
                      "--dry-run"], 2,
     "keypoint site 'allegro/nope' (human index 4) is not in the model"),
    # A task that reads the keypoints in an order the robot does not declare.
    (["run", "--robot", "allegro", "--task", "cabinet", "--method", "dense", "--set", THUMB_LAST,
      "--dry-run"], 2,
     "allegro × cabinet: task 'cabinet': the drawer-handle grasp test needs the thumb tip"),
]
