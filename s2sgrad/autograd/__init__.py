"""``s2sgrad.autograd``: backward, grad, gradcheck, grad modes."""
from ..runtime.grad_mode import enable_grad, no_grad, set_grad_enabled  # noqa: F401
from .function import Function, FunctionCtx, once_differentiable  # noqa: F401
from .functional import backward, grad  # noqa: F401
from .gradcheck import gradcheck, gradgradcheck  # noqa: F401
