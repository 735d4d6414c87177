"""``s2sgrad.nn``: PyTorch's layer API (``import s2sgrad as torch; torch.nn.Linear``).

Takes: nothing at import. Gives: ``Module``, ``Parameter``, the layers, the losses, and
the ``functional``, ``init`` and ``utils`` (gradient clipping, packed sequences)
submodules.
"""
from . import functional, init, utils
from .activation import (ELU, GELU, Dropout, LeakyReLU, LogSoftmax, ReLU, SiLU, Sigmoid,
                         Softmax, Softplus, Tanh)
from .attention import MultiheadAttention
from .container import ModuleDict, ModuleList, Sequential
from .activation_more import (CELU, GLU, SELU, Dropout1d, Dropout2d, Hardshrink, Hardsigmoid,
                              Hardswish, Hardtanh, LogSigmoid, Mish, PReLU, ReLU6, Softmin,
                              Softshrink, Softsign, Tanhshrink, Threshold)
from .conv import Conv1d, Conv2d, ConvTranspose2d
from .linear import Flatten, Identity, Linear
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase
from .loss import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, L1Loss, MSELoss,
                   NLLLoss, SmoothL1Loss)
from .loss_more import (CosineEmbeddingLoss, CosineSimilarity, GaussianNLLLoss,
                        HingeEmbeddingLoss, KLDivLoss, MarginRankingLoss,
                        MultiLabelSoftMarginLoss, PairwiseDistance, PoissonNLLLoss,
                        SoftMarginLoss, TripletMarginLoss)
from .module import Module
from .normalization import BatchNorm1d, BatchNorm2d, GroupNorm, InstanceNorm2d, LayerNorm
from .parameter import Buffer, Parameter
from .pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
from .sparse import Embedding, EmbeddingBag
from .transformer import (Transformer, TransformerDecoder, TransformerDecoderLayer,
                          TransformerEncoder, TransformerEncoderLayer)
from .upsampling import (ConstantPad2d, PixelShuffle, PixelUnshuffle, ReflectionPad2d,
                         ReplicationPad2d, Unflatten, Upsample, UpsamplingBilinear2d,
                         UpsamplingNearest2d, ZeroPad2d)

__all__ = ["AdaptiveAvgPool2d", "AvgPool2d", "BCELoss", "BCEWithLogitsLoss", "BatchNorm1d",
           "BatchNorm2d", "Buffer", "CELU", "ConstantPad2d", "Conv1d", "Conv2d", "ConvTranspose2d",
           "CosineEmbeddingLoss", "CosineSimilarity", "CrossEntropyLoss", "Dropout", "Dropout1d",
           "Dropout2d", "ELU", "Embedding", "EmbeddingBag", "Flatten", "GELU", "GLU", "GRU",
           "GRUCell", "GaussianNLLLoss", "GroupNorm", "Hardshrink", "Hardsigmoid", "Hardswish",
           "Hardtanh", "HingeEmbeddingLoss", "HuberLoss", "Identity", "InstanceNorm2d", "KLDivLoss",
           "L1Loss", "LSTM", "LSTMCell", "LayerNorm", "LeakyReLU", "Linear", "LogSigmoid",
           "LogSoftmax", "MSELoss", "MarginRankingLoss", "MaxPool2d", "Mish", "Module",
           "ModuleDict", "ModuleList", "MultiLabelSoftMarginLoss", "MultiheadAttention", "NLLLoss",
           "PReLU", "PairwiseDistance", "Parameter", "PixelShuffle", "PixelUnshuffle",
           "PoissonNLLLoss", "RNN", "RNNBase", "RNNCell", "RNNCellBase", "ReLU", "ReLU6",
           "ReflectionPad2d", "ReplicationPad2d", "SELU", "Sequential", "SiLU", "Sigmoid",
           "SmoothL1Loss", "SoftMarginLoss", "Softmax", "Softmin", "Softplus", "Softshrink",
           "Softsign", "Tanh", "Tanhshrink", "Threshold", "Transformer", "TransformerDecoder",
           "TransformerDecoderLayer", "TransformerEncoder", "TransformerEncoderLayer",
           "TripletMarginLoss", "Unflatten", "Upsample", "UpsamplingBilinear2d",
           "UpsamplingNearest2d", "ZeroPad2d", "functional", "init", "utils"]
