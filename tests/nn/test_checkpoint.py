"""The torch-free ``.pth`` reader on files written by ``torch.save``."""
import io
import pickle
import zipfile

import numpy as np
import pytest

from s2sgrad.models import checkpoint


def test_reads_every_dtype_offset_and_stride(tmp_path):
    torch = pytest.importorskip("torch")
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
    obj = {
        "f32": torch.randn(3, 4), "f64": torch.randn(2, dtype=torch.float64),
        "f16": torch.tensor([1.5, -2.0], dtype=torch.float16),
        "bf16": torch.tensor([0.1, 3.0], dtype=torch.bfloat16),
        "i64": torch.tensor(7), "i32": torch.tensor([1, -2], dtype=torch.int32),
        "u8": torch.tensor([255, 0], dtype=torch.uint8), "bool": torch.tensor([True, False]),
        "transposed": base.t(), "offset": base[1:, 2:5], "shared": base,
        "param": torch.nn.Parameter(torch.ones(2)), "empty": torch.zeros(0, 3),
        "nested": [torch.ones(1), {"x": 3, "s": "text"}],
    }
    path = tmp_path / "t.pth"
    torch.save(obj, path)
    got = checkpoint.load(path)
    for key, value in obj.items():
        if key == "nested":
            continue
        ref = value.detach().float().numpy() if key == "bf16" else value.detach().numpy()
        assert got[key].dtype == ref.dtype, key
        np.testing.assert_array_equal(got[key], ref, err_msg=key)
    assert got["nested"][1] == {"x": 3, "s": "text"}


def test_state_dict_round_trip_into_a_model(tmp_path):
    torch = pytest.importorskip("torch")
    import s2sgrad as sg

    from .torch_resnet import build
    ref = build(torch, num_classes=10)
    path = tmp_path / "resnet.pth"
    torch.save(ref.state_dict(), path)
    sd = checkpoint.load(path)
    assert type(sd).__name__ == "OrderedDict" and len(sd) == 122
    assert sd["bn1.num_batches_tracked"].dtype == np.int64
    model = sg.models.resnet18(num_classes=10, weights=str(path))
    for k, v in ref.state_dict().items():
        np.testing.assert_array_equal(model.state_dict()[k].numpy(), v.numpy())


def test_refuses_arbitrary_globals():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("archive/data.pkl", pickle.dumps(print))
    buf.seek(0)
    with pytest.raises(pickle.UnpicklingError, match="builtins.print"):
        checkpoint.load(buf)


def test_legacy_format_is_a_clear_error(tmp_path):
    path = tmp_path / "old.pth"
    path.write_bytes(pickle.dumps({"a": 1}))
    with pytest.raises(ValueError, match="legacy format"):
        checkpoint.load(path)
