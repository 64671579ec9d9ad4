"""track's and amp's rewards on a fixed seed, pinned to what trackbench computed before their terms
became RewardTerms evaluated by the harness's reward manager (commit f94faf2, recorded with one
torch thread): the same States give the same rewards, bit for bit, and every term's per-episode
sum is the same.

Both run grasp_lift on allegro, 2 envs, seed 3, episodes of 6 control steps, actions drawn from
generator seed 11; ``track`` predicts with the untrained seed-0 transformer (the ``checkpoint``
fixture), ``amp``'s discriminator trains every 3 steps, so its learning is pinned too.

``amp``'s values were recorded again when D's seed became the run's seed plus ``method.seed``
(it was ``method.seed`` alone, 0 for every run seed): they are what commit 8fded92 computes with
``method.seed=3``, bit for bit, so only D's seed changed.
"""

from __future__ import annotations

import pytest
import torch

from trackbench.harness.env import VecEnv
from trackbench.harness.plugins import load_registry
from trackbench.harness.specs import RunSpec
from trackbench.harness.threads import torch_threads

STEPS = 12  # two episodes of each env
SETTINGS = {
    "track": {},
    "amp": {"max_sequences": 6, "disc_units": [32], "batch_size": 16, "update_every": 3,
            "disc_steps": 2},
}
# Per control step the reward of env 0 and env 1; per episode end (steps 6 and 12, both envs)
# every term's sum over the episode.
RECORDED = {
    'track': {'episodes': [{'energy': [-0.08171303570270538, -0.08742646872997284],
                            'task_goal_bonus': [0.0, 0.0],
                            'task_progress': [0.0, 0.0],
                            'track': [-1.7054883241653442, -1.6721900701522827]},
                           {'energy': [-0.08690708875656128, -0.0775088220834732],
                            'task_goal_bonus': [0.0, 0.0],
                            'task_progress': [0.0, 0.0],
                            'track': [-1.4335817098617554, -0.9765077829360962]}],
              'rewards': [[-0.30542778968811035, -0.29684731364250183],
                          [-0.25168201327323914, -0.25479429960250854],
                          [-0.3329048752784729, -0.3338327705860138],
                          [-0.3000510036945343, -0.28937315940856934],
                          [-0.33439335227012634, -0.33315664529800415],
                          [-0.26274237036705017, -0.2516123652458191],
                          [-0.2599336504936218, -0.17697137594223022],
                          [-0.2346939742565155, -0.16939398646354675],
                          [-0.24697157740592957, -0.2038903534412384],
                          [-0.2580033540725708, -0.14752256870269775],
                          [-0.2697324752807617, -0.1939317286014557],
                          [-0.25115373730659485, -0.16230659186840057]]},
    'amp': {'episodes': [{'amp': [8.235525131225586, 8.817358016967773],
                          'dense_fingertip': [10.630936622619629, 17.547338485717773],
                          'dense_goal_bonus': [0.0, 0.0],
                          'dense_keypoint': [0.0, 0.0],
                          'dense_lift_bonus': [0.0, 0.0],
                          'dense_lifting': [2.3558430671691895, 2.368342876434326],
                          'energy': [-0.08171303570270538, -0.08742646872997284]},
                         {'amp': [9.187146186828613, 8.555807113647461],
                          'dense_fingertip': [5.771483421325684, 7.743435859680176],
                          'dense_goal_bonus': [0.0, 0.0],
                          'dense_keypoint': [0.0, 0.0],
                          'dense_lift_bonus': [0.0, 0.0],
                          'dense_lifting': [2.3558430671691895, 2.584660530090332],
                          'energy': [-0.08690708875656128, -0.0775088220834732]}],
            'rewards': [[5.366415977478027, 4.660658836364746],
                        [5.86098575592041, 6.244110584259033],
                        [4.223884105682373, 5.596734046936035],
                        [2.116647243499756, 5.29224157333374],
                        [1.9249224662780762, 4.029787063598633],
                        [1.64773690700531, 2.822080135345459],
                        [3.0912578105926514, 5.145407676696777],
                        [4.351090431213379, 4.861664295196533],
                        [3.050607919692993, 2.4363839626312256],
                        [3.015235662460327, 2.0246782302856445],
                        [1.8558032512664795, 1.7175102233886719],
                        [1.8635703325271606, 2.6207499504089355]]},
}


@pytest.mark.parametrize("method", sorted(RECORDED))
def test_the_rewards_are_the_ones_recorded_before_the_reward_manager(method, checkpoint):
    settings = {"checkpoint": str(checkpoint)} if method == "track" else SETTINGS[method]
    spec = RunSpec(engine="mujoco", robot="allegro", task="grasp_lift", method=method, seed=3,
                   agent_steps=64, num_envs=2, method_spec=settings,
                   task_spec={"episode_length": 6})
    recorded = RECORDED[method]
    actions = torch.Generator().manual_seed(11)
    rewards, sums = [], []
    with torch_threads(1):
        env = VecEnv.build(spec, load_registry())
        for _ in range(STEPS):
            step = env.step(torch.rand(2, env.num_actions, generator=actions) * 2 - 1)
            rewards.append(step.reward)
            if step.episodes is not None:
                assert step.episodes.env_ids.tolist() == [0, 1]
                sums.append(step.episodes.terms)
    assert torch.equal(torch.stack(rewards), torch.tensor(recorded["rewards"]))
    assert len(sums) == len(recorded["episodes"])
    for episode, expected in zip(sums, recorded["episodes"]):
        assert sorted(episode) == sorted(expected)
        for name, values in expected.items():
            assert torch.equal(episode[name], torch.tensor(values)), name
