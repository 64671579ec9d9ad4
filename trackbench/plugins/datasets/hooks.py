"""Built-in datasets: the generated default, DexYCB's own layout, and the authors' .npy files."""

from trackbench import hookimpl


@hookimpl
def trackbench_register_datasets():
    from trackbench.plugins.datasets.dexycb import DexYCBDataset
    from trackbench.plugins.datasets.synthetic import SyntheticDataset
    from trackbench.plugins.datasets.trackr import TrackrDataset

    return [SyntheticDataset, DexYCBDataset, TrackrDataset]
