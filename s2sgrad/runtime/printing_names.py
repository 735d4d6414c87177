"""Legacy PyTorch type names used in error messages (``torch.FloatTensor``)."""
import numpy as np

_LEGACY = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
           "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


def tensor_type_name(dt) -> str:
    return f"torch.{_LEGACY.get(np.dtype(dt).name, 'Float')}Tensor"


def scalar_type_name(dt) -> str:
    """``Float``, ``Double``, ``Long``: the names in dtype error messages."""
    return _LEGACY.get(np.dtype(dt).name, np.dtype(dt).name)
