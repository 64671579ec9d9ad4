#!/usr/bin/env bash
# Learning checks (issue 13): allegro / grasp_lift (TASK=cabinet … for another task) with the CPU
# PPO preset, one cell per method.
# THREADS=1 (default) gives each cell one torch and one engine thread, so two run side by side on
# the 2-core machine; THREADS=0 lets a cell that runs alone use every core. Thread counts may
# change when a cell is resumed.
# Hours per cell. A killed or stopped run resumes exactly: run the same command again; a larger
# STEPS trains the same cells on.
#
#   benchmarks/learning.sh dense            # one cell in the foreground
#   nohup benchmarks/learning.sh dense > runs/learning/dense.log 2>&1 &
#   trackbench report runs/learning         # tables and learning curves
#   OUT=runs/learning_variant nohup benchmarks/learning.sh dense 1 \
#       --set task.lifting_reward_offset=0 > runs/learning_variant/dense.log 2>&1 &
#   OUT=runs/learning_pregrasp nohup benchmarks/learning.sh dense 1 \
#       --set task.pregrasp_start=0.5 > runs/learning_pregrasp/dense.log 2>&1 &   # curriculum
#   OUT=runs/grasped_short nohup benchmarks/learning.sh grasp 1 --set ppo.init_log_std=-1.0 \
#       --set ppo.hand_init_log_std=-3.0 --set robot.hand_effort=0.7 \
#       --set robot.arm_action=wrist_delta --set robot.hand_action=delta \
#       --set robot.observe_targets=true --set task.grasped_start=1.0 \
#       --set task.episode_length=150 > runs/grasped_short/grasp.log 2>&1 &   # the lift rung
#   (the chain from it: runs/chain_init = the above with task.grasped_start=0.5,
#    task.pregrasp_start=0.25, ppo.init_from=<the rung's checkpoint>; runs/chain_reverse = with
#    task.grasped_start=0.25, task.pregrasp_start=0.5, task.pregrasp_progress=[0,1],
#    ppo.init_from=<chain_init's checkpoint at 1.64M>; docs/results "Session 10"); the staged one:
#   COMMON="<the rung's --sets above but task.grasped_start>"; each stage 0.8M agent steps:
#   STAGES='task.start_stages=[
#     {"until": 8e5, "grasped_start": 0.25, "pregrasp_start": 0.5, "pregrasp_progress": [0.75, 1]},
#     {"until": 1.6e6, "grasped_start": 0.25, "pregrasp_start": 0.5, "pregrasp_progress": [0.5, 1]},
#     {"until": 2.4e6, "grasped_start": 0.25, "pregrasp_start": 0.5, "pregrasp_progress": [0.25, 1]},
#     {"until": 3.2e6, "grasped_start": 0.25, "pregrasp_start": 0.5, "pregrasp_progress": [0, 1]}]'
#   OUT=runs/chain_stages nohup benchmarks/learning.sh grasp 1 $COMMON \
#       --set "$STAGES" --set task.grasped_start=0.25 \
#       --set task.pregrasp_start=0.25 --set "task.pregrasp_progress=[0,1]" \
#       --set ppo.init_from=runs/chain_stages/init.pth >> runs/chain_stages/grasp.log 2>&1 &
#   The same walk in one run from scratch, each stage ending on a measured criterion (its
#   starts' lift rate over its last 256 episodes; the stages are in benchmarks/staged_starts.txt;
#   runs/staged_grasp, docs/results "Session 11"):
#   OUT=runs/staged_grasp nohup benchmarks/learning.sh grasp 1 $COMMON \
#       --set "$(cat benchmarks/staged_starts.txt)" --set task.grasped_start=0.25 \
#       --set task.pregrasp_start=0.25 --set "task.pregrasp_progress=[0,1]" \
#       >> runs/staged_grasp/grasp.log 2>&1 &
#   runs/hand_sigma: the hand's exploration test (docs/results "Session 11"): runs/staged_grasp's
#   checkpoint at 4.10M with the hand's log σ set to −2 (init.pth; σ 0.135 instead of 0.058),
#   trained on stage 2's mix: OUT=runs/hand_sigma nohup benchmarks/learning.sh grasp 1 $COMMON \
#       --set task.grasped_start=0.25 --set task.pregrasp_start=0.5 \
#       --set "task.pregrasp_progress=[0.75,1]" --set ppo.init_from=runs/hand_sigma/init.pth \
#       >> runs/hand_sigma/grasp.log 2>&1 &
#   The close action (robot.hand_close_action; docs/results "Session 12"): the walk from the
#   pre-grasps (benchmarks/staged_close.txt), with and without it:
#   OUT=runs/close_staged nohup benchmarks/learning.sh grasp 1 $COMMON \
#       --set robot.hand_close_action=true --set "$(cat benchmarks/staged_close.txt)" \
#       --set task.grasped_start=0.25 --set task.pregrasp_start=0.25 \
#       --set "task.pregrasp_progress=[0,1]" >> runs/close_staged/grasp.log 2>&1 &
#   (runs/noclose_staged: the same without --set robot.hand_close_action=true; runs/close_dense
#   and runs/close_track: the same with dense / track for grasp, track with its pi_h.pt copied
#   into the OUT folder.) runs/close_long: close_staged's policy at 3.11M (init.pth) trained on
#   the final mix with 300-step episodes ($COMMON's episode length replaced):
#   OUT=runs/close_long nohup benchmarks/learning.sh grasp 1 $COMMON \
#       --set task.episode_length=300 --set robot.hand_close_action=true \
#       --set task.grasped_start=0.25 --set task.pregrasp_start=0.25 \
#       --set "task.pregrasp_progress=[0,1]" --set ppo.init_from=runs/close_long/init.pth \
#       >> runs/close_long/grasp.log 2>&1 &
#   Session 13 (docs/results "Session 13"); CLOSE="--set robot.hand_close_action=true":
#   the reach rung with and without the keypoints observed (two seeds, 600k agent steps):
#   STEPS=600000 OUT=runs/reach_kp benchmarks/learning.sh reach 2 $COMMON $CLOSE \
#       --set robot.observe_keypoints=true >> runs/reach_kp/reach.log 2>&1   # reach_nokp: without
#   close_staged's walk with the keypoints observed (runs/close_keypoints): close_staged's command
#   with --set robot.observe_keypoints=true. The open-cabinet task, three methods (M = dense,
#   track, task; track with runs/learning/pi_h.pt copied into its OUT; COMMON_600 = $COMMON
#   without its task.episode_length=150):
#   TASK=cabinet STEPS=2600000 OUT=runs/cabinet_M benchmarks/learning.sh M 1 $COMMON_600 $CLOSE \
#       >> runs/cabinet_M/M.log 2>&1   # runs/cabinet_dense_kp: dense with the keypoints observed
#   Session 14 (docs/results "Session 14"): Π_h with synthetic drawer openings, then track on the
#   cabinet with the progress form (runs/cabinet_track_progress; ..._nodrawers: runs/learning/pi_h.pt
#   copied instead; runs/cabinet_track_drawers_kp: without the two method settings):
#   .venv/bin/trackbench predictor train --dataset-set drawer_fraction=0.2 --out runs/drawer_pi/pi_h.pt
#   cp runs/drawer_pi/pi_h.pt runs/cabinet_track_progress/
#   TASK=cabinet STEPS=2600000 OUT=runs/cabinet_track_progress benchmarks/learning.sh track 1 \
#       $COMMON_600 $CLOSE --set robot.observe_keypoints=true --set method.form=progress \
#       --set method.track_weight=10 >> runs/cabinet_track_progress/track.log 2>&1
#   (runs/cabinet_progress_runon: the same after the cabinet's episodes began to run on after
#   success; runs/cabinet_task_kp: `task` with the keypoints observed.) grasp_lift track with the
#   progress form from close_staged's walk (runs/progress_track, runs/learning/pi_h.pt copied):
#   OUT=runs/progress_track nohup benchmarks/learning.sh track 1 $COMMON $CLOSE \
#       --set robot.observe_keypoints=true --set method.form=progress --set method.track_weight=10 \
#       --set "$(cat benchmarks/staged_close.txt)" --set task.grasped_start=0.25 \
#       --set task.pregrasp_start=0.25 --set "task.pregrasp_progress=[0,1]" \
#       >> runs/progress_track/track.log 2>&1 &
#   Session 15 (docs/results "Session 15"): cabinet dense under the run-on rule (the
#   cabinet_dense_kp command, two seeds), and grasp_lift with the cabinet's recipe from the task's
#   own resets (track with runs/learning/pi_h.pt copied into its OUT):
#   TASK=cabinet STEPS=2600000 OUT=runs/cabinet_dense_runon benchmarks/learning.sh dense 2 \
#       $COMMON_600 $CLOSE --set robot.observe_keypoints=true >> runs/cabinet_dense_runon/dense.log 2>&1
#   STEPS=5000000 OUT=runs/lift_dense_kp benchmarks/learning.sh dense 1 $COMMON_600 $CLOSE \
#       --set robot.observe_keypoints=true >> runs/lift_dense_kp/dense.log 2>&1
#   STEPS=5000000 OUT=runs/lift_track_kp benchmarks/learning.sh track 1 $COMMON_600 $CLOSE \
#       --set robot.observe_keypoints=true --set method.form=progress --set method.track_weight=10 \
#       >> runs/lift_track_kp/track.log 2>&1
#   Session 16 (docs/results "Session 16"): the paper's three methods on grasp_lift through
#   close_staged's staged starts, each with the close action and the keypoints observed (track
#   with the progress form and runs/learning/pi_h.pt copied into its OUT; M = dense, task, track):
#   .venv/bin/trackbench predictor train --out runs/learning/pi_h.pt
#   STAGED="--set robot.observe_keypoints=true --set task.grasped_start=0.25 \
#       --set task.pregrasp_start=0.25 --set task.pregrasp_progress=[0,1]"
#   STEPS=8000000 OUT=runs/lift_staged_M benchmarks/learning.sh M 1 $COMMON $CLOSE $STAGED \
#       --set "$(cat benchmarks/staged_close.txt)" >> runs/lift_staged_M/M.log 2>&1 &
#   (track adds --set method.form=progress --set method.track_weight=10)
#   Session 17: dense and track continued with their commands, track from its 8M budget on with
#   STEPS=12000000 (a larger STEPS extends a finished cell); Π_h's ask, with a human
#   hand's shape or a faster wrist, and a Π_h trained on widened hands (docs/results "Session 17"):
#   .venv/bin/python benchmarks/follow_trace.py runs/lift_staged_track/allegro__grasp_lift__track__s0 \
#       140 [shape=human] [wrist=0.4] [checkpoint=runs/spread_pi/pi_h_1_3.pt]
#   .venv/bin/trackbench predictor train --set "fingertip_spread=[1,3]" --out runs/spread_pi/pi_h_1_3.pt
#   Session 18: dense extended from its 8M budget with STEPS=12000000, track continued; the robot's
#   hand shown to Π_h in a human rest shape (track's method.hand_shape=human_rest; docs/results
#   "Π_h at the robots' resets"), probed and followed:
#   .venv/bin/trackbench predictor probe --robot R --task T --checkpoint runs/learning/pi_h.pt \
#       --envs 32 --human-sequences 200 --hand-shape human_rest|robot --json
#   .venv/bin/python benchmarks/follow_trace.py runs/lift_staged_track/allegro__grasp_lift__track__s0 \
#       140 shape=human_rest
#   and the A/B from the task's resets (S = robot, human_rest; runs/learning/pi_h.pt copied into
#   each OUT; 600k agent steps, then extended to 1.5M):
#   STEPS=1500000 OUT=runs/ab_hand_S benchmarks/learning.sh track 1 $COMMON $CLOSE \
#       --set robot.observe_keypoints=true --set method.form=progress --set method.track_weight=10 \
#       --set method.hand_shape=S >> runs/ab_hand_S/track.log 2>&1 &
#   Session 19: dense finished at 12M, track at 16M; does a success fit in the episode at the
#   wrist's speed? (docs/results "Session 19"):
#   .venv/bin/python benchmarks/task_timing.py runs/lift_staged_dense/allegro__grasp_lift__dense__s0 \
#       32 speed=0.1|0.2
#   and four continuations of dense's 12M policy on the final mix for 3M agent steps (V = the
#   folder; cp runs/lift_staged_dense/allegro__grasp_lift__dense__s0/checkpoints/last.pth
#   runs/V/init.pth first): final_mix (nothing changed), fast_wrist (--set
#   robot.wrist_linear_speed=0.2), long_episodes ($COMMON_600 --set task.episode_length=300
#   instead of $COMMON), offset0 (--set task.lifting_reward_offset=0):
#   STEPS=3000000 OUT=runs/V benchmarks/learning.sh dense 1 $COMMON $CLOSE $STAGED [CHANGE] \
#       --set ppo.init_from=runs/V/init.pth >> runs/V/dense.log 2>&1 &
#   Session 20: continuations of dense's 12M policy as above (2M agent steps): reach_w2 ($STAGED
#   --set method.reach_weight=2), far_way (--set robot.observe_keypoints=true --set
#   task.grasped_start=0.25 --set task.pregrasp_start=0.5 --set "task.pregrasp_progress=[0,0.5]"),
#   no_grasped (the same with task.grasped_start=0 and "task.pregrasp_progress=[0,1]"); the
#   progress sweep: .venv/bin/python benchmarks/policy_behaviour.py RUN 32 pregrasp progress=P,P
#   for P in 0, 0.25, 0.5, 0.75, 1.
#   Session 21: seed 1 alone (FIRST_SEED=1) from scratch, three single changes to the staged
#   recipe (docs/results "Session 21"): bands (each stage's on-the-way starts in a band of its
#   own, benchmarks/staged_bands.txt), no_grasped (no grasped starts in any stage or after,
#   benchmarks/staged_no_grasped.txt, task.grasped_start=0), adv_kind (the recipe as it is, with
#   ppo.advantage_groups=start_kind):
#   FIRST_SEED=1 STEPS=12000000 OUT=runs/bands nohup benchmarks/learning.sh dense 1 $COMMON \
#       $CLOSE $STAGED --set "$(cat benchmarks/staged_bands.txt)" >> runs/bands/dense.log 2>&1 &
#   FIRST_SEED=1 STEPS=12000000 OUT=runs/no_grasped nohup benchmarks/learning.sh dense 1 $COMMON \
#       $CLOSE --set robot.observe_keypoints=true --set task.grasped_start=0 \
#       --set task.pregrasp_start=0.25 --set "task.pregrasp_progress=[0,1]" \
#       --set "$(cat benchmarks/staged_no_grasped.txt)" >> runs/no_grasped/dense.log 2>&1 &
#   FIRST_SEED=1 STEPS=12000000 OUT=runs/adv_kind nohup benchmarks/learning.sh dense 1 $COMMON \
#       $CLOSE $STAGED --set "$(cat benchmarks/staged_close.txt)" \
#       --set ppo.advantage_groups=start_kind >> runs/adv_kind/dense.log 2>&1 &
#   Session 22: no_grasped's seeds 0 and 1 side by side for 2 h (runs/ng_s0, runs/ng_s1; started
#   with the --set form above, which the recipe file reproduces exactly):
#   FIRST_SEED=0 STEPS=12000000 OUT=runs/ng_s0 nohup benchmarks/learning.sh dense 1 \
#       --config benchmarks/recipes/grasp_lift_no_grasped.yaml >> runs/ng_s0/dense.log 2>&1 &
#   Sessions 23–25 (docs/results "Session 24", "Session 25"): the same recipe with the close
#   action explored more (σ 0.61 instead of 0.37; sessions 23–24's runs were lost with their
#   machines; session 25 ran seeds 0 and 1, FIRST_SEED=S, OUT=runs/cs_sS), and track
#   through the recipe (Π_h trained as in session 16 and copied into its OUT):
#   FIRST_SEED=0 STEPS=12000000 OUT=runs/cs_s0 nohup benchmarks/learning.sh dense 1 \
#       --config benchmarks/recipes/grasp_lift_no_grasped.yaml --set ppo.close_init_log_std=-0.5 \
#       >> runs/cs_s0/dense.log 2>&1 &
#   .venv/bin/trackbench predictor train --out runs/learning/pi_h.pt
#   cp runs/learning/pi_h.pt runs/track_ng/
#   FIRST_SEED=0 STEPS=12000000 OUT=runs/track_ng nohup benchmarks/learning.sh track 1 \
#       --config benchmarks/recipes/grasp_lift_no_grasped.yaml --set method.form=progress \
#       --set method.track_weight=10 >> runs/track_ng/track.log 2>&1 &
#   Session 26 (docs/results "Session 26"): track and task through the recipe with the close
#   action explored more (runs/track_s0, runs/task_s0; both carried, they resume with these):
#   cp runs/learning/pi_h.pt runs/track_s0/
#   FIRST_SEED=0 STEPS=12000000 OUT=runs/track_s0 nohup benchmarks/learning.sh track 1 \
#       --config benchmarks/recipes/grasp_lift_no_grasped.yaml --set ppo.close_init_log_std=-0.5 \
#       --set method.form=progress --set method.track_weight=10 >> runs/track_s0/track.log 2>&1 &
#   FIRST_SEED=0 STEPS=12000000 OUT=runs/task_s0 nohup benchmarks/learning.sh task 1 \
#       --config benchmarks/recipes/grasp_lift_no_grasped.yaml --set ppo.close_init_log_std=-0.5 \
#       >> runs/task_s0/task.log 2>&1 &
#   Session 27 (docs/results "Session 27"): a third dense seed (runs/cs_s2), track's seed 1
#   (runs/track_s1, carried; Π_h copied as above) and r_track with its sign flipped, a control:
#   FIRST_SEED=2 STEPS=12000000 OUT=runs/cs_s2 nohup benchmarks/learning.sh dense 1 \
#       --config benchmarks/recipes/grasp_lift_no_grasped.yaml --set ppo.close_init_log_std=-0.5 \
#       >> runs/cs_s2/dense.log 2>&1 &
#   FIRST_SEED=1 STEPS=12000000 OUT=runs/track_s1 nohup benchmarks/learning.sh track 1 \
#       --config benchmarks/recipes/grasp_lift_no_grasped.yaml --set ppo.close_init_log_std=-0.5 \
#       --set method.form=progress --set method.track_weight=10 >> runs/track_s1/track.log 2>&1 &
#   FIRST_SEED=0 STEPS=1600000 OUT=runs/antitrack_s0 nohup benchmarks/learning.sh track 1 \
#       --config benchmarks/recipes/grasp_lift_no_grasped.yaml --set ppo.close_init_log_std=-0.5 \
#       --set method.form=progress --set method.track_weight=-10 >> runs/antitrack_s0/track.log 2>&1 &
#   Session 28 (docs/results "Session 28"): a fourth dense seed (runs/cs_s3) beside track seed 1
#   (its session-27 command again, to its 3 h):
#   FIRST_SEED=3 STEPS=12000000 OUT=runs/cs_s3 nohup benchmarks/learning.sh dense 1 \
#       --config benchmarks/recipes/grasp_lift_no_grasped.yaml --set ppo.close_init_log_std=-0.5 \
#       >> runs/cs_s3/dense.log 2>&1 &
#   The sign-flipped control's second seed: session 27's antitrack command with FIRST_SEED=1
#   and OUT=runs/antitrack_s1 (Π_h copied there first).
#   Π_h from training's on-the-way starts (P = 0.25, 0.5, 0.75, 1):
#   .venv/bin/trackbench predictor probe --robot allegro --task grasp_lift --envs 16 \
#       --checkpoint runs/learning/pi_h.pt --set task.pregrasp_start=1 \
#       --set "task.pregrasp_progress=[P,P]" --json --out DIR
#   Session 29 (docs/results "Session 29"): track's third seed (Π_h copied as above) beside
#   seed 1 continued past its budget (its session-27 command again):
#   FIRST_SEED=2 STEPS=12000000 OUT=runs/track_s2 nohup benchmarks/learning.sh track 1 \
#       --config benchmarks/recipes/grasp_lift_no_grasped.yaml --set ppo.close_init_log_std=-0.5 \
#       --set method.form=progress --set method.track_weight=10 >> runs/track_s2/track.log 2>&1 &
#   Every cell evaluated at the task's own episode length as well:
#   .venv/bin/trackbench evaluate RUN --episodes 128 --episode-length 600 --json
#   Π_h from approaches on the side the hand starts (S = 0, 1), probed as above:
#   .venv/bin/trackbench predictor train --dataset-set approach=start --set seed=S --out FILE
#   Session 30 (docs/results "Session 30"): seed 2 resumed to its 3 h and on past it, seed 0
#   continued past its 3 h (session 26's command again), side by side; seed 2's 3 h evaluated
#   from its kept checkpoint (epoch 1380, the last kept one under 10,800 s of wall_s):
#   .venv/bin/trackbench evaluate runs/track_s2/allegro__grasp_lift__track__s2 --checkpoint 1380 \
#       --episodes 128 [--episode-length 600] --json
#   Then track with an ensemble of six Π_h (method.ensemble; the mean of session 29's six: the
#   runs' Π_h, its seed 1, the 4× longer seeds 0 and 1, approach=start seeds 0 and 1), copied into
#   OUT as pi_h.pt (runs/learning/pi_h.pt) and pi_h_{person_s1,long_s0,long_s1,start_s0,
#   start_s1}.pt (runs/pi_seed/, runs/pi_long/, runs/approach_pi/), seeds S = 0 and 1:
#   O=runs/track_ens_sS
#   E="[$O/pi_h_person_s1.pt,$O/pi_h_long_s0.pt,$O/pi_h_long_s1.pt,$O/pi_h_start_s0.pt,$O/pi_h_start_s1.pt]"
#   FIRST_SEED=S STEPS=12000000 OUT=$O nohup benchmarks/learning.sh track 1 \
#       --config benchmarks/recipes/grasp_lift_no_grasped.yaml --set ppo.close_init_log_std=-0.5 \
#       --set method.form=progress --set method.track_weight=10 --set "method.ensemble=$E" \
#       >> $O/track.log 2>&1 &
#   Probed first (docs/results/probes_s30/): .venv/bin/python benchmarks/pi_h_ensemble.py the six
#   files [robot=R] [task=T] [progress=P] json=FILE
#   Session 31 (docs/results "Session 31"): both ensemble seeds resumed (the same commands) to
#   10,800 s of wall_s, evaluated at the last checkpoint kept before it (S=0: 1080, S=1: 1100):
#   .venv/bin/trackbench evaluate runs/track_ens_sS/allegro__grasp_lift__track__sS \
#       --checkpoint EPOCH --episodes 128 [--episode-length 600] --json
#   A run to be continued by a later session on another machine is carried in git:
#   benchmarks/carry.sh pack runs/track_ng (stopped first), then benchmarks/carry.sh unpack
#   track_ng and its command again.
#
# Runs written before 2026-11-30 20:30 trained with MuJoCo's default friction (pyramidal cones,
# impratio 1), under which grasped objects slip (docs/results); they live under runs/pyramidal_*
# and continue only with --set engine.friction_cone=pyramidal --set engine.impratio=1.
#
# track reads Π_h from runs/learning/pi_h.pt (a copy of the cached cpu-preset predictor, so that a
# later change of the cache cannot change a running cell; a changed file is refused on resume).
set -euo pipefail
cd "$(dirname "$0")/.."
METHOD=${1:?usage: benchmarks/learning.sh dense|track|task [SEEDS [--set KEY=VALUE ...]]}
SEED_COUNT=${2:-1}
FIRST_SEED=${FIRST_SEED:-0}  # FIRST_SEED=1 with SEEDS 1 runs seed 1 alone
shift $(( $# < 2 ? $# : 2 ))  # what is left goes to trackbench run (a named variant's --set)
OUT=${OUT:-runs/learning}
TASK=${TASK:-grasp_lift}
STEPS=${STEPS:-10000000}
ENVS=${ENVS:-128}
BIN=${BIN:-.venv/bin}
THREADS=${THREADS:-1}
# Keep every 20th epoch's checkpoint (about 3 MB each): a budget's end (2 h, 3 h) is then
# evaluated with `trackbench evaluate RUN --checkpoint EPOCH` after the run went on.
KEEP_EVERY=${KEEP_EVERY:-20}
extra=()
if [ "$METHOD" = track ]; then
  if [ ! -f "$OUT/pi_h.pt" ]; then
    echo "no $OUT/pi_h.pt: copy the cached predictor there first (trackbench run --method track trains it)" >&2
    exit 2
  fi
  extra+=(--set "method.checkpoint=$OUT/pi_h.pt")
fi
exec "$BIN/trackbench" run --robot allegro --task "$TASK" --method "$METHOD" --seeds "$SEED_COUNT" \
  --first-seed "$FIRST_SEED" --envs "$ENVS" --steps "$STEPS" --out "$OUT" \
  --set "ppo.torch_threads=$THREADS" --set "engine.num_threads=$THREADS" \
  --set "ppo.keep_every=$KEEP_EVERY" "${extra[@]}" "$@"
