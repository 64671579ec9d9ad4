"""Built-in predictors: the paper's causal transformer Π_h."""

from trackbench import hookimpl


@hookimpl
def trackbench_register_predictors():
    from trackbench.plugins.predictors.transformer import Transformer

    return [Transformer]
