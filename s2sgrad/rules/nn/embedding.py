"""``embedding`` (``F.embedding``): rows of a weight table picked by integer indices.

Takes: an integer index array of any shape and a 2-D weight (num_embeddings, dim).
Gives: ``weight[input]`` (shape ``input.shape + (dim,)``) and the weight's gradient,
node ``EmbeddingBackward0``: the cotangent rows added into the rows they came from
(a repeated index accumulates), except the ``padding_idx`` row, which gets none.
"""
from __future__ import annotations

import numpy as np

from ..indexing import scatter_add
from ..registry import nondifferentiable, rule, tangent


def embedding(input, weight, padding_idx=None):
    """The rows ``weight[input]``."""
    return weight[input]


def padding_rows(n, padding_idx):
    """A (n, 1) mask, True at the ``padding_idx`` row (none when it is None)."""
    rows = np.arange(n).reshape(n, 1)
    return rows == (-1 if padding_idx is None else padding_idx % n)


@rule(embedding, wrt=("weight",), name="EmbeddingBackward0")
def embedding_adjoint(g, out, input, weight, padding_idx=None):
    return np.where(padding_rows(weight.shape[0], padding_idx), 0.0,
                    scatter_add(g, weight.shape, weight.dtype, input))


@tangent(embedding)
def embedding_jvp(out, input, weight, padding_idx=None, *, dweight):
    return embedding(input, dweight, padding_idx)


nondifferentiable(padding_rows)
