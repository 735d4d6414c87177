"""``addmm`` (how ``F.linear`` runs for 2-D input and a bias) and its adjoint.

Takes: bias, mat1, mat2. Gives: ``input + mat1 @ mat2``, node ``AddmmBackward0``.
"""
from __future__ import annotations

import numpy as np

from ..registry import rule, tangent

def addmm(input, mat1, mat2):
    """``torch.addmm``: ``input + mat1 @ mat2`` (how ``F.linear`` runs for 2-D input and a bias)."""
    return np.matmul(mat1, mat2) + input


@rule(addmm, broadcast=True, name="AddmmBackward0")
def addmm_adjoint(g, out, input, mat1, mat2):
    return g, g @ mat2.T, mat1.T @ g


@tangent(addmm)
def addmm_jvp(out, input, mat1, mat2, dinput, dmat1, dmat2):
    return dinput + dmat1 @ mat2 + mat1 @ dmat2
