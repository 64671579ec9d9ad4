"""Built-in methods: track (the paper's), dense and task (its PPO baselines), amp and dapg (its
human-data baselines); reach and grasp (rungs of the learning sanity ladder)."""

from trackbench import hookimpl


@hookimpl
def trackbench_register_methods():
    from trackbench.plugins.methods.amp import AMP
    from trackbench.plugins.methods.dapg import DAPG
    from trackbench.plugins.methods.dense import Dense
    from trackbench.plugins.methods.grasp import Grasp
    from trackbench.plugins.methods.reach import Reach
    from trackbench.plugins.methods.task import TaskMethod
    from trackbench.plugins.methods.track import Track

    return [Track, Dense, TaskMethod, AMP, DAPG, Reach, Grasp]
