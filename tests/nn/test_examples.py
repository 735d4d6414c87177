"""The nn examples run as scripts and print what they promise."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(script, *args, env=None):
    e = dict(os.environ, PYTHONPATH=str(ROOT), **(env or {}))
    res = subprocess.run([sys.executable, str(ROOT / "examples" / script), *args], env=e,
                         capture_output=True, text=True, timeout=300, check=False)
    assert res.returncode == 0, res.stderr
    return res.stdout


def test_seed_001_resnet(tmp_path):
    out = _run("seed_001_resnet.py", env={"S2SGRAD_HOME": str(tmp_path),
                                          "TORCH_HOME": str(tmp_path)})
    assert out.splitlines() == [
        "tensor([True, True])",
        "tensor([True, True])",
        "tensor([3., 3., 3., 3.])",
        "tensor([6., 6., 6., 6.])",
        "tensor([9., 9., 9., 9.])",
        "Does `a` require gradients? : False",
        "Does `b` require gradients?: True",
        "parameters with gradients: ['fc.weight', 'fc.bias']",
        "parameters changed by the step: ['fc.weight', 'fc.bias']",
    ]


def test_train_digits():
    pytest.importorskip("sklearn")
    out = _run("train_digits.py", "--epochs", "3")
    last = out.strip().splitlines()[-1]
    assert last.startswith("final test accuracy: ")
    assert float(last.split()[3]) >= 0.90
    assert "epoch  3/3 [##############################] 1437/1437" in out
