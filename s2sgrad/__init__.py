"""s2sgrad: reverse-mode automatic differentiation by source transformation.

``import s2sgrad as torch`` gives the PyTorch autograd surface (Tensors,
``backward``, ``no_grad``, ``nn``, ``optim``); ``s2sgrad.grad`` compiles a
NumPy function's adjoint from its source.
"""
from . import rules  # noqa: F401  (registers the rule table)
from .rules import rule  # noqa: F401
from .runtime import methods as _methods  # noqa: F401  (binds Tensor methods)
from .runtime.dtypes import (  # noqa: F401
    bool_ as bool, complex64, complex128, float16, float32, float64, get_default_dtype, int8,
    int16, int32, int64, set_default_dtype, uint8)
from .runtime.dtypes import dtype  # noqa: F401
from .runtime.factories import *  # noqa: F401,F403
from .runtime.functions import *  # noqa: F401,F403
from .runtime.functions import concat, concatenate  # noqa: F401
from .runtime.functions_extra import *  # noqa: F401,F403
from .runtime.grad_mode import (  # noqa: F401
    enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled, no_grad,
    set_grad_enabled)
from .runtime.tensor import Size, Tensor, device  # noqa: F401
from . import autograd  # noqa: F401,E402

float = float32  # noqa: A001
double = float64
long = int64
half = float16
cfloat = complex64

__version__ = "0.1.0"


from .runtime.printing import set_printoptions  # noqa: F401,E402
from .runtime.random import Generator, default_generator  # noqa: F401,E402


_TRANSFORMS = ("grad", "gradient", "value_and_grad", "vjp", "show", "jvp", "jvp_function",
               "jvp_source", "hvp", "hessian", "jacobian")


def __getattr__(name):
    # Heavier subpackages load on first use, keeping ``import s2sgrad`` fast.
    import importlib
    if name in ("nn", "optim", "models", "utils", "linalg", "special", "testing",
                "distributions"):
        return importlib.import_module(f".{name}", __name__)
    if name in _TRANSFORMS:
        return getattr(importlib.import_module(".transforms", __name__), name)
    if name in ("load", "save"):    # PyTorch's checkpoint format, without torch
        return getattr(importlib.import_module(".serialization", __name__), name)
    if name == "checkpoint":
        return importlib.import_module(".api", __name__).checkpoint
    raise AttributeError(f"module 's2sgrad' has no attribute '{name}'")
