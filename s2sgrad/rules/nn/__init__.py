"""Rules for the heavy neural-network layers, one module per family.

Takes: NumPy arrays in PyTorch's layouts (NCHW images, OIHW filters, (N, C, ...) logits).
Gives: primal functions computing what ``torch.nn.functional`` computes, and their adjoints
in the one rule table, named like PyTorch's graph nodes (``ConvolutionBackward0``, ...):

* ``conv``: ``conv2d`` (im2col + BLAS);
* ``pool``: ``max_pool2d``, ``avg_pool2d``, ``adaptive_avg_pool2d``;
* ``norm``: ``batch_norm``, ``layer_norm``;
* ``loss``: ``nll_loss``, ``mse_loss``, ``bce_with_logits``, ``binary_cross_entropy``,
  ``smooth_l1_loss``, ``huber_loss``;
* ``activation``: ``leaky_relu``, ``gelu``, ``silu``, ``elu``, ``softplus``;
* ``activation_more``: ``hardtanh``, ``hardsigmoid``, ``hardswish``, ``mish``,
  ``softshrink``, ``hardshrink``, ``threshold``, ``log_sigmoid``, ``glu``, ``selu``,
  ``celu``, ``prelu``;
* ``resample``: ``conv1d`` (conv2d over a unit height), ``conv_transpose2d`` (conv2d's
  input gradient plus a bias), ``resample1d``/``resample2d`` (separable nearest/linear
  interpolation);
* ``loss_more``: ``soft_margin_loss``;
* ``embedding``: ``embedding``;
* ``linear``: ``addmm``;
* ``packed``: ``pack_padded``, ``pad_packed`` (``nn.utils.rnn``'s two layouts);
* ``geometry``: output sizes, padding, window views and scratch memory they share.

Invariant: every adjoint is template-safe (assignments and one final return), calling the
private kernels of its module for the work; the kernels other rule modules refer to
(higher-order rules, compositions) stay importable from here.
"""
from ..registry import nondifferentiable
from .activation import elu, gelu, leaky_relu, silu, softplus
from .activation_more import (celu, glu, hardshrink, hardsigmoid, hardswish, hardtanh,
                              log_sigmoid, mish, prelu, selu, softshrink, threshold)
from .conv import conv2d
from .embedding import embedding
from .geometry import conv_output_size, pool_output_size
from .linear import addmm
from .loss import (bce_with_logits, binary_cross_entropy, huber_loss, mse_loss, nll_loss,
                   smooth_l1_loss)
from .loss_more import soft_margin_loss
from .packed import pack_padded, pad_packed
from .norm import batch_norm, layer_norm
from .pool import adaptive_avg_pool2d, avg_pool2d, max_pool2d
from .resample import (conv1d, conv_transpose2d, conv_transpose_output_size, interp_matrix,
                       resample1d, resample2d)

# Adjoints and private kernels stay reachable here: the rules for the helpers adjoints
# call (higher-order gradients) and the tests refer to them by these names.
from .conv import _conv_geometry, _conv_grads, conv2d_adjoint  # noqa: F401
from .geometry import _as4d, _pad, _pair, _window  # noqa: F401
from .linear import addmm_adjoint  # noqa: F401
from .loss import _bce_grads, _nll_grad, _sigmoid, _softplus_neg  # noqa: F401
from .loss import bce_with_logits_adjoint, mse_loss_adjoint, nll_loss_adjoint  # noqa: F401
from .norm import _batch_stats, _bn_axes, _bn_grads, _bn_shape, _channel_dot  # noqa: F401
from .norm import batch_norm_adjoint  # noqa: F401
from .activation import gelu_slope  # noqa: F401
from .embedding import padding_rows  # noqa: F401
from .loss import _bce_prob_grads, _log1m_or_ninf, _log_or_ninf, _robust_slope  # noqa: F401
from .norm import _ln_axes, _ln_grads  # noqa: F401
from .pool import _adaptive_grad, _avg_pool_grad, _max_pool_grad, _pool_geometry  # noqa: F401
from .pool import adaptive_avg_pool2d_adjoint, avg_pool2d_adjoint  # noqa: F401
from .pool import max_pool2d_adjoint  # noqa: F401

__all__ = [
    "adaptive_avg_pool2d",
    "addmm",
    "avg_pool2d",
    "batch_norm",
    "celu",
    "conv1d",
    "conv_transpose2d",
    "conv_transpose_output_size",
    "glu",
    "hardshrink",
    "hardsigmoid",
    "hardswish",
    "hardtanh",
    "interp_matrix",
    "log_sigmoid",
    "mish",
    "prelu",
    "resample1d",
    "resample2d",
    "selu",
    "softshrink",
    "threshold",
    "bce_with_logits",
    "binary_cross_entropy",
    "conv2d",
    "conv_output_size",
    "elu",
    "embedding",
    "gelu",
    "huber_loss",
    "layer_norm",
    "leaky_relu",
    "max_pool2d",
    "mse_loss",
    "pack_padded",
    "pad_packed",
    "nll_loss",
    "pool_output_size",
    "silu",
    "smooth_l1_loss",
    "soft_margin_loss",
    "softplus",
]

nondifferentiable(conv_output_size, pool_output_size)
