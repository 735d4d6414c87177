"""Every Python snippet in README.md runs, and prints what the README says it prints.

A ```python block immediately followed by a ```text block must print exactly that
text (object addresses aside). Blocks run in a fresh process each, from the
repository root, as a reader would paste them.
"""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
BLOCKS = re.findall(r"```(\w+)\n(.*?)```", README, flags=re.S)
SNIPPETS = [(code, BLOCKS[i + 1][1] if i + 1 < len(BLOCKS) and BLOCKS[i + 1][0] == "text"
             else None) for i, (lang, code) in enumerate(BLOCKS) if lang == "python"]


def test_readme_has_two_setup_commands():
    bash = [code.strip() for lang, code in BLOCKS if lang == "bash"]
    assert bash[0] == "pip install . && python examples/quickstart.py"
    assert bash[1] == 'pip install ".[test]" && python -m pytest -q'
    ci = (ROOT / ".ci" / "run").read_text()
    assert "python -m pytest -q" in ci


@pytest.mark.parametrize("code, expected", SNIPPETS,
                         ids=[f"snippet{i}" for i in range(len(SNIPPETS))])
def test_snippet_runs_and_prints_what_readme_says(code, expected, tmp_path):
    script = tmp_path / "snippet.py"       # a file, so decorated functions have source
    script.write_text(code)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    if expected is not None:
        assert re.sub(r"0x[0-9a-f]+", "0x?", proc.stdout) == expected


def test_quickstart_runs():
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "examples/quickstart.py"], capture_output=True,
                          text=True, cwd=ROOT, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "grad_fn=<LossBackward>" in proc.stdout and proc.stdout.rstrip().endswith("True")
