"""``save``/``load``: PyTorch's checkpoint format both ways, without PyTorch."""
import io
import pickle

import numpy as np
import pytest

import s2sgrad as torch


def _sample():
    return {"epoch": 3, "x": torch.tensor([1.0, 2.0], requires_grad=True),
            "p": torch.nn.Parameter(torch.ones(2)), "items": [torch.arange(3), 1.5, "name"],
            "d64": torch.zeros(2, 2, dtype=torch.float64), "flag": torch.tensor([True]),
            "scalar": torch.tensor(2.5)}


def _check_sample(back, ref):
    assert back["epoch"] == 3 and back["items"][1:] == [1.5, "name"]
    for k in ("x", "p", "d64", "flag", "scalar"):
        assert back[k].dtype == ref[k].dtype and back[k].shape == ref[k].shape
        np.testing.assert_array_equal(np.asarray(back[k].detach()), np.asarray(ref[k].detach()))
    assert back["x"].requires_grad and not back["d64"].requires_grad
    assert type(back["p"]).__name__ == "Parameter" and back["p"].requires_grad
    np.testing.assert_array_equal(back["items"][0].numpy(), [0, 1, 2])


def test_round_trip_through_a_file_and_a_buffer(tmp_path):
    ref = _sample()
    torch.save(ref, tmp_path / "ckpt.pth")
    _check_sample(torch.load(tmp_path / "ckpt.pth"), ref)
    buf = io.BytesIO()
    torch.save(ref, buf)
    buf.seek(0)
    _check_sample(torch.load(buf), ref)


def test_model_state_dict_round_trip(tmp_path):
    torch.manual_seed(0)
    m = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    torch.save(m.state_dict(), tmp_path / "m.pth")
    m2 = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    m2.load_state_dict(torch.load(tmp_path / "m.pth"))
    x = torch.randn(5, 3)
    np.testing.assert_array_equal(m(x).detach().numpy(), m2(x).detach().numpy())


def test_pytorch_reads_ours_and_we_read_pytorchs(tmp_path):
    real = pytest.importorskip("torch")
    ref = _sample()
    torch.save(ref, tmp_path / "ours.pth")
    theirs = real.load(tmp_path / "ours.pth", weights_only=True)
    assert isinstance(theirs["p"], real.nn.Parameter) and theirs["x"].requires_grad
    np.testing.assert_array_equal(theirs["d64"].numpy(), np.zeros((2, 2)))
    assert theirs["d64"].dtype == real.float64 and theirs["flag"].dtype == real.bool
    real.save({k: (real.tensor(np.asarray(v.detach())) if isinstance(v, torch.Tensor) else v)
               for k, v in ref.items() if k != "items"}, tmp_path / "theirs.pth")
    back = torch.load(tmp_path / "theirs.pth")
    np.testing.assert_array_equal(back["x"].numpy(), [1.0, 2.0])


class _Payload:
    pass


def test_loading_never_runs_code_from_the_file(tmp_path):
    torch.save({"obj": _Payload()}, tmp_path / "obj.pth")
    with pytest.raises(pickle.UnpicklingError, match="refusing to load it"):
        torch.load(tmp_path / "obj.pth")
