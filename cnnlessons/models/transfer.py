"""Lesson 07: a small backbone + head for transfer learning, and the helpers to freeze and swap.

The recipe the lesson teaches: keep a trained feature extractor, freeze it, put a new head on
top for the new task and train the head (stage 1); then unfreeze the last block and fine-tune
it with the head at a smaller learning rate (stage 2).
"""

from __future__ import annotations

import torch
from torch import nn


def conv_block(in_channels: int, out_channels: int) -> nn.Sequential:
    """3x3 convolution (padding 1) -> ReLU -> 2x2 max-pool: halves H and W."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(2),
    )


class TransferNet(nn.Module):
    """``backbone`` (conv 32 -> conv 64, each with a 2x2 pool), flatten, ``head`` (one linear layer).

    The head is the only task-specific part: ``replace_head`` swaps it for a new task.
    """

    feature_dim = 64 * 7 * 7  # 3136

    def __init__(self, num_classes: int = 5) -> None:
        super().__init__()
        self.backbone = nn.Sequential()
        self.backbone.add_module("block1", conv_block(1, 32))  # N x 32 x 14 x 14
        self.backbone.add_module("block2", conv_block(32, 64))  # N x 64 x 7 x 7
        self.head = nn.Linear(self.feature_dim, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: N x 1 x 28 x 28
        x = self.backbone(x)  # N x 64 x 7 x 7
        x = torch.flatten(x, 1)  # N x 3136
        return self.head(x)  # N x num_classes


def transfer_net(num_classes: int = 5) -> TransferNet:
    """The lesson's MNIST network (1 x 28 x 28 -> ``num_classes``)."""
    return TransferNet(num_classes=num_classes)


def freeze(module: nn.Module) -> nn.Module:
    """Stop gradients for every parameter of ``module`` (the optimizer will skip them)."""
    for p in module.parameters():
        p.requires_grad_(False)
    return module


def unfreeze(module: nn.Module) -> nn.Module:
    """Let every parameter of ``module`` train again."""
    for p in module.parameters():
        p.requires_grad_(True)
    return module


def freeze_up_to(model: nn.Module, last: str) -> nn.Module:
    """Freeze the top-level children of ``model`` in order, up to and including ``last``.

    Keras' Inception v3 block ``mixed7`` is torchvision's ``Mixed_6e``:
    ``freeze_up_to(inception, "Mixed_6e")``; the children after ``last`` stay trainable.
    """
    names = [name for name, _ in model.named_children()]
    if last not in names:
        raise KeyError(f"{type(model).__name__} has no child named {last!r}; its children are: {', '.join(names)}")
    for name, child in model.named_children():
        freeze(child)
        if name == last:
            break
    return model


def train_keep_frozen_bn(model: nn.Module) -> nn.Module:
    """``model.train()``, then eval mode for every BatchNorm layer whose parameters are frozen.

    ``requires_grad=False`` stops gradients but not BatchNorm's running statistics, which a
    layer in train mode updates from every batch; eval mode keeps the pretrained ones. Call it
    wherever you would call ``model.train()``.
    """
    model.train()
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm) and not any(p.requires_grad for p in m.parameters()):
            m.eval()
    return model


def replace_head(model: TransferNet, num_classes: int) -> nn.Linear:
    """Put a freshly initialized linear head with ``num_classes`` outputs on ``model``; return it."""
    if not hasattr(model, "head") or not isinstance(model.head, nn.Linear):
        raise TypeError(
            "replace_head expects a model with a linear `head` attribute, like TransferNet; "
            f"got {type(model).__name__}. For other models assign the new layer yourself, "
            "e.g. model.fc = nn.Linear(model.fc.in_features, num_classes)."
        )
    model.head = nn.Linear(model.head.in_features, num_classes).to(model.head.weight.device)
    return model.head
