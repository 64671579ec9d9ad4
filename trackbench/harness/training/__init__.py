"""Training: rl-games glue (vecenv, network), PPO settings, the trainer and evaluation."""
