"""``s2sgrad.models``: a small model zoo (torchvision's ResNets) and a checkpoint reader.

Takes: nothing at import. Gives: ``resnet18``, ``resnet34``, ``ResNet``, and ``load``
(read a ``torch.save`` file without PyTorch).
"""
from .checkpoint import load, load_state_dict
from .resnet import BasicBlock, ResNet, resnet18, resnet34

__all__ = ["BasicBlock", "ResNet", "load", "load_state_dict", "resnet18", "resnet34"]
