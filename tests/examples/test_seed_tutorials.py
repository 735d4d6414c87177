"""The seed tutorials run on s2sgrad and print what PyTorch prints.

Each script in ``examples/seed_*.py`` is run as a user would run it. Its output
must equal the golden transcript, which was produced by running the same script
with ``import torch`` (object addresses aside). Where torch is importable the
comparison is also made live, so the golden files cannot drift from PyTorch.
"""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).resolve().parent / "golden"
SCRIPTS = sorted(p for p in (ROOT / "examples").glob("seed_*.py")
                 if (GOLDEN / (p.stem + ".txt")).exists())


def _normalise(text: str) -> str:
    return re.sub(r"0x[0-9a-f]+", "0x?", text)


def _run(source: str) -> str:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-c", source], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return _normalise(proc.stdout)


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_matches_golden_transcript(script):
    ours = _run(script.read_text())
    assert ours == (GOLDEN / (script.stem + ".txt")).read_text()


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_matches_pytorch_live(script):
    pytest.importorskip("torch")
    source = script.read_text()
    theirs = _run(source.replace("import s2sgrad as torch", "import torch"))
    assert _run(source) == theirs
