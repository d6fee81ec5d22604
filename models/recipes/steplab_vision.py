"""The demo family's vision encoder (steplab_model.py's docstring): a small CNN over a normalised grey picture,
pretrained as a count classifier, projected to `tokens` embeddings that replace the prompt's image tokens."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

@dataclass
class VisionConfig:
    channels: int = 1
    image_size: int = 48
    conv_channels: Tuple[int, ...] = (8, 16, 32, 32)
    feature_size: int = 128
    num_classes: int = 9
    tokens: int = 4
    hidden_size: int = 96
    # Normalisation applied before the encoder: (x / 255 - mean) / std, per channel; the mean and
    # standard deviation of the demo pictures' grey levels (measured on 5,000: 0.860, 0.177).
    mean: List[float] = field(default_factory=lambda: [0.86])
    std: List[float] = field(default_factory=lambda: [0.18])


# ---------------------------------------------------------------------------------------------
# Vision


class CountCNN(nn.Module):
    """Conv trunk with a 3x3 spatial read-out (the pictures put one object per cell of a 3x3 grid)
    and a 9-way count head used only in pretraining."""

    def __init__(self, cfg: VisionConfig):
        super().__init__()
        chans = (cfg.channels,) + tuple(cfg.conv_channels)
        layers: List[nn.Module] = []
        for i in range(len(cfg.conv_channels)):
            layers.append(nn.Conv2d(chans[i], chans[i + 1], kernel_size=3, padding=1))
            layers.append(nn.ReLU())
            layers.append(nn.MaxPool2d(2) if i < len(cfg.conv_channels) - 1 else nn.AvgPool2d(2))
        self.convs = nn.Sequential(*layers)
        side = cfg.image_size // (2 ** len(cfg.conv_channels))
        self.fc = nn.Linear(cfg.conv_channels[-1] * side * side, cfg.feature_size)
        self.head = nn.Linear(cfg.feature_size, cfg.num_classes)

    def features(self, pixel_values: torch.Tensor) -> torch.Tensor:
        h = self.convs(pixel_values)
        return F.relu(self.fc(h.flatten(1)))

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(pixel_values))


class VisionEncoder(nn.Module):
    """pixel_values [B, C, H, W] (normalised) -> image_features [B, tokens, hidden]."""

    def __init__(self, cfg: VisionConfig):
        super().__init__()
        self.config = cfg
        self.backbone = CountCNN(cfg)
        self.proj = nn.Linear(cfg.feature_size, cfg.tokens * cfg.hidden_size)
        nn.init.normal_(self.proj.weight, std=0.02)
        nn.init.zeros_(self.proj.bias)

    def project(self, features: torch.Tensor) -> torch.Tensor:
        return self.proj(features).view(features.shape[0], self.config.tokens, self.config.hidden_size)

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        return self.project(self.backbone.features(pixel_values))

    def normalise(self, pixels_u8: torch.Tensor) -> torch.Tensor:
        """uint8 [B, H, W] or [B, C, H, W] -> normalised float [B, C, H, W]."""
        x = pixels_u8.to(torch.float32) / 255.0
        if x.dim() == 3:
            x = x[:, None, :, :]
        mean = torch.tensor(self.config.mean, dtype=torch.float32).view(1, -1, 1, 1)
        std = torch.tensor(self.config.std, dtype=torch.float32).view(1, -1, 1, 1)
        return (x - mean) / std


def merge_image_features(embeds: torch.Tensor, input_ids: torch.Tensor, image_token_id: int, features: torch.Tensor) -> torch.Tensor:
    """Puts image features, in order, at the positions of the image token: one image per row that has
    `tokens` image-token positions; `features` is [images, tokens, hidden] for those rows in order."""
    where = input_ids == image_token_id
    n = int(where.sum())
    if n == 0:
        return embeds
    flat = features.reshape(-1, features.shape[-1])
    if flat.shape[0] != n:
        raise ValueError(f"{n} image-token positions but {flat.shape[0]} image feature vectors")
    out = embeds.clone()
    out[where] = flat.to(out.dtype)
    return out
