"""ResNet-18/34 with torchvision's layout, state-dict keys and initialisation.

Takes: ``num_classes`` and optional weights (a dict of arrays or Tensors, an ``.npz``
path, a ``.pth`` path read without PyTorch, or ``pretrained=True`` for the torchvision
checkpoint file found locally).
Gives: ``ResNet`` modules whose ``state_dict`` has torchvision's keys in its order
(122 entries and 11,689,512 parameters for ResNet-18 with 1000 classes).
Invariant: construction re-initialises like torchvision (``kaiming_normal_`` fan_out/relu
for convolutions, BatchNorm weight 1 and bias 0, Linear keeps its default).
"""
from __future__ import annotations

import os
from pathlib import Path

from .. import nn
from ..runtime.tensor import Tensor
from .checkpoint import load_state_dict

__all__ = ["BasicBlock", "ResNet", "checkpoint_dirs", "resnet18", "resnet34"]

_FILES = {"resnet18": "resnet18-f37072fd.pth", "resnet34": "resnet34-b627a593.pth"}


def conv3x3(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=1, bias=False)


def conv1x1(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with a residual connection (downsampled when the shape changes)."""

    expansion = 1

    def __init__(self, inplanes: int, planes: int, stride: int = 1,
                 downsample: nn.Module | None = None) -> None:
        super().__init__()
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x: Tensor) -> Tensor:
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return self.relu(out)


class ResNet(nn.Module):
    def __init__(self, block: type[BasicBlock], layers: list[int], num_classes: int = 1000,
                 zero_init_residual: bool = False) -> None:
        super().__init__()
        self.inplanes = 64
        self.conv1 = nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], stride=2)
        self.layer3 = self._make_layer(block, 256, layers[2], stride=2)
        self.layer4 = self._make_layer(block, 512, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
        if zero_init_residual:
            for m in self.modules():
                if isinstance(m, BasicBlock):
                    nn.init.constant_(m.bn2.weight, 0)

    def _make_layer(self, block: type[BasicBlock], planes: int, blocks: int,
                    stride: int = 1) -> nn.Sequential:
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(conv1x1(self.inplanes, planes * block.expansion, stride),
                                       nn.BatchNorm2d(planes * block.expansion))
        layers = [block(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes * block.expansion
        layers += [block(self.inplanes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        x = self.avgpool(x).flatten(1)
        return self.fc(x)


def checkpoint_dirs() -> list[Path]:
    """Where ``pretrained=True`` looks for torchvision's checkpoint files, in order."""
    home = os.environ.get("S2SGRAD_HOME", os.path.join(Path.home(), ".cache", "s2sgrad"))
    torch_home = os.environ.get("TORCH_HOME", os.path.join(Path.home(), ".cache", "torch"))
    return [Path(home) / "checkpoints", Path(torch_home) / "hub" / "checkpoints"]


def _pretrained_file(arch: str) -> Path:
    name = _FILES[arch]
    for d in checkpoint_dirs():
        if (d / name).is_file():
            return d / name
    dirs = " or ".join(str(d) for d in checkpoint_dirs())
    raise FileNotFoundError(
        f"pretrained weights for {arch} need the file {name} (torchvision's ImageNet "
        f"checkpoint, https://download.pytorch.org/models/{name}); s2sgrad never downloads. "
        f"Put it in {dirs}, or pass weights='path/to/{name}'.")


def _build(arch: str, layers: list[int], num_classes: int, weights, pretrained: bool,
           **kwargs) -> ResNet:
    if isinstance(weights, str) and weights in ("DEFAULT", "IMAGENET1K_V1") or \
            (weights is None and pretrained):
        weights = _pretrained_file(arch)
    model = ResNet(BasicBlock, layers, num_classes=num_classes, **kwargs)
    if weights is not None:
        model.load_state_dict(load_state_dict(weights))
    return model


def resnet18(num_classes: int = 1000, weights=None, pretrained: bool = False,
             progress: bool = True, **kwargs) -> ResNet:
    """ResNet-18 (torchvision's ``resnet18``); ``weights`` may be a dict, .npz or .pth."""
    return _build("resnet18", [2, 2, 2, 2], num_classes, weights, pretrained, **kwargs)


def resnet34(num_classes: int = 1000, weights=None, pretrained: bool = False,
             progress: bool = True, **kwargs) -> ResNet:
    """ResNet-34 (torchvision's ``resnet34``)."""
    return _build("resnet34", [3, 4, 6, 3], num_classes, weights, pretrained, **kwargs)
