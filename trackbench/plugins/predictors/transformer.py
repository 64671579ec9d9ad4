"""Π_h as in the paper: a causal transformer over [goal, (objects, hand) per step] tokens.

Follows the authors' ``HumanModel`` (``docs/reference/paper-code-facts.md`` §1): a PointNet turns
each object's 100 points into one token per step, plus the object's class embedding and the step's
time embedding; the five fingertips (15 numbers) become the hand token through one Linear; the goal
label is one token prepended to the sequence. Pre-LN GPT-2 blocks with a causal mask and a padding
mask; a Linear head on every hand token predicts the next step's fingertips (teacher forcing).
"""

from __future__ import annotations

from typing import Any, Literal

import torch
from pydantic import Field, field_validator, model_validator
from torch import nn
from torch.nn import functional as F

from trackbench.api import (
    MAX_LAYERS, MAX_UNITS, NUM_FINGERTIPS, Predictor, PredictorInput, PredictorSpec, LowHigh,
    added_setting, with_preset,
)

NUM_CLASS_IDS = 22  # DexYCB ids 1..21; 0 = padding / not a YCB object
KEYPOINT_DIM = NUM_FINGERTIPS * 3
# Largest fingertip_spread factor: the robots' fingertips sit up to about 3× a person's distance
# from their centroid (allegro's thumb, 18 cm against 6); 5 leaves room for larger hands.
MAX_FINGERTIP_SPREAD = 5.0

# Named presets: a preset fills every field the user did not set explicitly.
# `paper`: the authors' trained model (512 wide, 6 layers, 8 heads) and training run. Context 8 is
# what every released script trains and uses at RL time; the paper text says 16 (set
# context_length=16 to follow it). `cpu`: small enough that one call for 256 envs costs well under
# a quarter of a 256-env engine step on a 2-core CPU, and trains on the synthetic set in minutes.
PRESETS: dict[str, dict[str, Any]] = {
    "paper": dict(context_length=8, width=512, depth=6, heads=8, pointnet_width=512, loss="l1",
                  lr=1e-4, weight_decay=0.01, batch_size=64, steps=None, epochs=2000,
                  reset_padding=0.0),
    "cpu": dict(context_length=8, width=32, depth=2, heads=2, pointnet_width=16, loss="l1",
                lr=1e-3, weight_decay=0.01, batch_size=64, steps=3000, epochs=None,
                reset_padding=0.25),
}


class TransformerSpec(PredictorSpec):
    preset: Literal["cpu", "paper"] = Field(
        default="cpu", description="named size/training preset; explicit fields override it"
    )
    context_length: int = Field(
        default=8, ge=1, le=64, description="history frames (authors' runs 8; paper text 16)"
    )
    width: int = Field(default=32, ge=8, le=MAX_UNITS, description="token width (paper 512)")
    depth: int = Field(default=2, ge=1, le=MAX_LAYERS, description="transformer blocks (paper 6)")
    heads: int = Field(default=2, ge=1, le=64, description="attention heads (paper 8)")
    pointnet_width: int = Field(
        default=16, ge=4, le=MAX_UNITS, description="PointNet hidden width 3→w→w→w (paper 512)"
    )
    loss: Literal["l1", "mse"] = Field(
        default="l1", description="l1 as the authors' code, mse as the paper"
    )
    keypoint_noise: float = Field(
        default=0.05, ge=0, description="std (m) of Gaussian noise on input fingertips"
    )
    point_noise: float = Field(
        default=0.01, ge=0, description="std (m) of Gaussian noise on input object points"
    )
    reset_padding: float = Field(
        default=0.25, ge=0, le=1,
        description="fraction of training windows padded like an RL reset (first slots repeat the "
        "first real frame, masked); 0 = the authors' full windows only",
    )
    reset_windows: Literal["sequence_start", "anywhere"] = Field(
        default="sequence_start",
        description="where a reset-padded window begins: its sequence's first frame (a human at "
        "rest, as a robot is at reset) or any frame",
    )
    fingertip_spread: LowHigh = added_setting(
        (1.0, 1.0), before=(1.0, 1.0), since="2026-12-02", description=(
            "[low, high]: each training window's fingertips are moved away from (or toward) "
            "their centroid by a factor per finger drawn uniformly from this range, the same in "
            "every frame and for inputs and targets, so the centroid's path is kept (1 = as "
            "recorded). Robot hands hold their fingertips further apart than people do "
            "(allegro at reset: thumb 18 cm from the fingertips' centroid, a person's 6 on "
            "average); a predictor that has seen such spreads continues the path instead of "
            "reshaping the hand"))
    max_extra_objects: int = Field(
        default=2, ge=0, le=20,
        description="besides the grasped object, up to this many random others per window",
    )
    lr: float = Field(default=1e-3, gt=0, le=1, description="AdamW learning rate (paper 1e-4)")
    lr_schedule: Literal["constant", "cosine"] = Field(
        default="constant", description="constant lr, or cosine decay from lr to 0 over the steps"
    )
    weight_decay: float = Field(default=0.01, ge=0, description="AdamW weight decay")
    batch_size: int = Field(default=64, ge=1, le=65_536, description="windows per optimiser step")
    steps: int | None = Field(
        default=3000, ge=1, description="optimiser steps (used when epochs is None)"
    )
    epochs: float | None = Field(
        default=None, gt=0, description="passes over the training windows; overrides steps when set"
    )
    seed: int = Field(
        default=0, ge=0, description="seed of initialisation, window sampling and noise"
    )

    @model_validator(mode="before")
    @classmethod
    def _apply_preset(cls, data: Any) -> Any:
        if isinstance(data, dict) and "steps" in data and "epochs" not in data:
            data = {**data, "epochs": None}  # an explicit step count beats the preset's epochs
        return with_preset(data, PRESETS, "cpu")

    @field_validator("fingertip_spread")
    @classmethod
    def _spread_range(cls, spread: tuple[float, float]) -> tuple[float, float]:
        low, high = spread
        if not 0.0 < low <= high <= MAX_FINGERTIP_SPREAD:
            raise ValueError(f"fingertip_spread must be [low, high] with 0 < low ≤ high ≤ "
                             f"{MAX_FINGERTIP_SPREAD:g}, got [{low:g}, {high:g}]")
        return spread

    @model_validator(mode="after")
    def _heads_divide_width(self) -> "TransformerSpec":
        if self.width % self.heads:
            raise ValueError(f"width {self.width} is not divisible by heads {self.heads}")
        if self.steps is None and self.epochs is None:
            raise ValueError("set steps or epochs")
        return self


class PointNet(nn.Module):
    """Per-point MLP 3→w→w→w (ELU between, none after the last), max-pooled over the points."""

    def __init__(self, width: int, out: int):
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(3, width), nn.ELU(), nn.Linear(width, width), nn.ELU(),
                                 nn.Linear(width, width))
        # The authors' PointNet is as wide as the tokens; a narrower one is projected up.
        self.project = nn.Identity() if width == out else nn.Linear(width, out)

    def forward(self, points: torch.Tensor) -> torch.Tensor:
        return self.project(self.mlp(points).amax(dim=-2))


class Block(nn.Module):
    """Pre-LN GPT-2 block: x + attn(ln(x)), then x + mlp(ln(x)); MLP 4× wide, GELU."""

    def __init__(self, width: int, heads: int):
        super().__init__()
        self.heads = heads
        self.ln_attn = nn.LayerNorm(width)
        self.qkv = nn.Linear(width, 3 * width)
        self.out = nn.Linear(width, width)
        self.ln_mlp = nn.LayerNorm(width)
        self.mlp = nn.Sequential(nn.Linear(width, 4 * width), nn.GELU(),
                                 nn.Linear(4 * width, width))

    def forward(self, x: torch.Tensor, allowed: torch.Tensor,
                last_only: bool = False) -> torch.Tensor:
        """``last_only``: compute the output of the last token alone (keys and values still come
        from every token); the RL-time path, which needs only the newest hand token."""
        n, length, width = x.shape
        q, k, v = self.qkv(self.ln_attn(x)).view(n, length, 3, self.heads, -1).permute(2, 0, 3, 1, 4)
        if last_only:
            x, q, allowed = x[:, -1:], q[:, :, -1:], allowed[:, :, -1:]
        attended = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed)
        x = x + self.out(attended.transpose(1, 2).reshape(n, x.shape[1], width))
        return x + self.mlp(self.ln_mlp(x))


class Transformer(Predictor):
    """Causal transformer Π_h over goal, PointNet object and fingertip tokens (the paper's)."""

    name = "transformer"
    Spec = TransformerSpec

    def __init__(self, spec: TransformerSpec):
        super().__init__(spec)
        width = spec.width
        self.pointnet = PointNet(spec.pointnet_width, width)
        self.embed_label = nn.Embedding(NUM_CLASS_IDS, width)  # goal token and object ids share it
        # Timestep rows 0..CL-1 for real frames, row CL for padded slots.
        self.embed_timestep = nn.Embedding(spec.context_length + 1, width)
        self.embed_hand = nn.Linear(KEYPOINT_DIM, width)
        self.embed_ln = nn.LayerNorm(width)
        self.blocks = nn.ModuleList(Block(width, spec.heads) for _ in range(spec.depth))
        self.ln_f = nn.LayerNorm(width)
        self.head = nn.Linear(width, KEYPOINT_DIM)
        self.apply(_init_gpt2)

    def encode_objects(self, points: torch.Tensor) -> torch.Tensor:
        return self.pointnet(points)

    def predict(self, inputs: PredictorInput) -> torch.Tensor:
        return self._run(inputs, last_only=False)

    def predict_next(self, inputs: PredictorInput) -> torch.Tensor:
        # The sequence ends with the newest hand token, so the last block need only compute it.
        return self._run(inputs, last_only=True)[:, -1]

    def _run(self, inputs: PredictorInput, last_only: bool) -> torch.Tensor:
        n, steps = inputs.batch_size, inputs.length
        if steps > self.context_length:
            raise ValueError(
                f"history of {steps} frames exceeds context length {self.context_length}"
            )
        n_obj = inputs.object_ids.shape[1]
        time = self.embed_timestep(inputs.timesteps)  # [N, T, W]
        objects = (self.object_features(inputs) + self.embed_label(inputs.object_ids)[:, None]
                   + time[:, :, None])  # [N, T, n_obj, W]
        hand = self.embed_hand(inputs.fingertips.reshape(n, steps, KEYPOINT_DIM)) + time
        per_step = torch.cat([objects, hand[:, :, None]], dim=2)  # [N, T, n_obj + 1, W]
        goal = self.embed_label(inputs.goal_label)[:, None]  # [N, 1, W]
        tokens = torch.cat([goal, per_step.reshape(n, steps * (n_obj + 1), -1)], dim=1)
        x = self.embed_ln(tokens)
        allowed = self._attention_mask(inputs, n_obj)
        for depth, block in enumerate(self.blocks):
            x = block(x, allowed, last_only=last_only and depth == len(self.blocks) - 1)
        if last_only:
            return self.head(self.ln_f(x)).view(n, 1, NUM_FINGERTIPS, 3)
        hand_positions = 1 + torch.arange(steps, device=x.device) * (n_obj + 1) + n_obj
        out = self.head(self.ln_f(x[:, hand_positions]))
        return out.view(n, steps, NUM_FINGERTIPS, 3)

    @staticmethod
    def _attention_mask(inputs: PredictorInput, n_obj: int) -> torch.Tensor:
        """[N, 1, L, L] bool, True = may attend: causal, minus padded keys. As in the authors'
        code, object tokens are hidden only where the object is padding (id 0) and hand tokens
        where the history slot is padding; the goal token is always visible, so no row is empty."""
        n, steps = inputs.batch_size, inputs.length
        device = inputs.fingertips.device
        objects_real = (inputs.object_ids != 0)[:, None].expand(n, steps, n_obj)
        hand_real = inputs.attention_mask.bool()[:, :, None]
        keys = torch.cat([objects_real, hand_real], dim=2).reshape(n, -1)
        keys = torch.cat([torch.ones(n, 1, dtype=torch.bool, device=device), keys], dim=1)
        length = keys.shape[1]
        causal = torch.ones(length, length, dtype=torch.bool, device=device).tril()
        return (causal[None] & keys[:, None, :])[:, None]

    def fit(self, train: list, val: list, progress: bool = True, threads: int = 1) -> dict[str, Any]:
        from trackbench.api import train_predictor

        return train_predictor(self, train, val, progress=progress, threads=threads)


def _init_gpt2(module: nn.Module) -> None:
    if isinstance(module, (nn.Linear, nn.Embedding)):
        nn.init.normal_(module.weight, mean=0.0, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)
