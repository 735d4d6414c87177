"""``nn.utils``: gradient clipping (``clip_grad``) and packed sequences (``rnn``).

Takes: nothing at import. Gives: ``clip_grad_norm_``, ``clip_grad_value_``,
``clip_grads_with_norm_``, ``get_total_norm`` and the ``rnn`` submodule
(``pad_sequence``, ``pack_padded_sequence``, ``pad_packed_sequence``, ``pack_sequence``,
``PackedSequence``), as PyTorch lays them out.
"""
from . import clip_grad, rnn
from .clip_grad import clip_grad_norm_, clip_grad_value_, clip_grads_with_norm_, get_total_norm

__all__ = ["clip_grad", "clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_",
           "get_total_norm", "rnn"]
