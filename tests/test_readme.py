"""The README's commands run as pasted, in order, in a fresh copy of the examples (issue 15).

The commands are read from README.md itself, so the test and the README cannot drift apart: every line of a
```` ```bash ```` block (a trailing ``\\`` joins the next line) and every ```` ```python ```` block, in document order,
each a test of its own that must exit 0. The steps share one working folder holding a copy of ``examples/``, as a
fresh clone would, so a step may use what an earlier one wrote, and a step that writes over an earlier output fails
unless it says ``--overwrite``.

Not run here:

- the set-up and test commands under the comments ``.ci/run`` looks for: CI runs those two, on a fresh machine;
- commands whose comment ends in ``needs: gpu``, ``needs: network`` or ``needs: server``: skipped with that reason.

Smaller inputs, the only changes this test makes to what a user runs (to keep it fast on a CPU):

- the sample photos (``examples/street``, ``examples/runner``) are shrunk to a quarter of their width and height
  (``SHRINK``); ``examples/drag`` keeps its size, as the README's drag points are in its pixels;
- ``framer bench`` measures one small size once, on one thread (``SMALLER``).

PyTorch runs on one thread while the steps run (restored after): the test machines' few cores are shared, and
PyTorch's worker threads waiting on busy cores made the video steps several times slower.

``framer`` commands run in this process through the CLI's entry point (``framer.cli.main.main``, as the console
script does), which saves starting Python and importing PyTorch for each; any other command runs in bash.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
CI_COMMENTS = ("# set up, and make in-betweens of the sample pair", "# run the tests")  # as .ci/run finds them
NEEDS = re.compile(r"#.*\bneeds: (gpu|network|server)\s*$")
SHRINK = 4
SHRUNK_FOLDERS = ("street", "runner")
SMALLER = {"framer bench --sizes 448x256,1280x720": "framer bench --sizes 64x64 --frames 1 --repeats 1 --threads 1"}
SHELL_SYNTAX = re.compile(r"[|&;<>$`*?~]")


@dataclass(frozen=True)
class Step:
    """One README command (``kind`` "bash") or Python snippet (``kind`` "python"), at ``line`` of README.md."""

    line: int
    kind: str
    text: str
    skip: str | None = None  # why it is not run here

    @property
    def id(self) -> str:
        words = self.text.split()
        return f"L{self.line}-{'-'.join(words[:2]) if self.kind == 'bash' else 'python'}"


def readme_steps(text: str) -> list[Step]:
    """The bash commands and Python snippets of ``text`` (a README) in document order."""
    steps: list[Step] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        fence = lines[index].strip()
        if fence not in ("```bash", "```python"):
            index += 1
            continue
        start, index = index + 1, index + 1
        while lines[index].strip() != "```":
            index += 1
        block = lines[start:index]
        if fence == "```python":
            steps.append(Step(start + 1, "python", "\n".join(block)))
        else:
            steps.extend(_bash_steps(block, start))
        index += 1
    return steps


def _bash_steps(block: list[str], first_line: int) -> list[Step]:
    steps = []
    command, command_line, previous = "", 0, ""
    for offset, line in enumerate(block):
        if not command:
            command_line = first_line + offset + 1
        if not line.strip() or (line.lstrip().startswith("#") and not command):
            previous = line.strip()
            continue
        command += line[:-1] + " " if line.endswith("\\") else line
        if line.endswith("\\"):
            continue
        needs = NEEDS.search(command)
        skip = f"needs {needs.group(1)}" if needs else None
        if previous in CI_COMMENTS:
            skip = f"run by .ci/run ({previous})"
        steps.append(Step(command_line, "bash", command.strip(), skip))
        command, previous = "", ""
    return steps


STEPS = readme_steps(README.read_text(encoding="utf-8"))


def _without_comment(command: str) -> str:
    return shlex.join(shlex.split(command, comments=True))


def _runs_in_process(command: str) -> bool:
    """A single ``framer`` command without shell syntax (operators, expansions) outside its comment."""
    words = shlex.split(command, comments=True)
    return bool(words) and words[0] == "framer" and not any(SHELL_SYNTAX.search(word) for word in words)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Iterator[Path]:
    """A folder holding a copy of ``examples/``, its photos shrunk (see the module docstring); one PyTorch thread."""
    import torch

    root = tmp_path_factory.mktemp("readme")
    shutil.copytree(REPO / "examples", root / "examples")
    for folder in SHRUNK_FOLDERS:
        for path in sorted((root / "examples" / folder).glob("*.png")):
            with Image.open(path) as image:
                small = image.resize((image.width // SHRINK, image.height // SHRINK), Image.Resampling.LANCZOS)
            small.save(path)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield root
    torch.set_num_threads(threads)


def test_readme_has_the_commands_this_test_expects():
    """The parser finds the README's blocks, CI's two commands and the substitutions this test makes."""
    commands = [step.text for step in STEPS if step.kind == "bash"]
    assert len(commands) >= 20 and any(step.kind == "python" for step in STEPS)
    assert sum(step.skip is not None and step.skip.startswith("run by .ci/run") for step in STEPS) == 2
    for original in SMALLER:
        assert any(_without_comment(command).startswith(original) for command in commands), original


@pytest.mark.parametrize("step", STEPS, ids=[step.id for step in STEPS])
def test_readme_step_runs(step: Step, workspace: Path, monkeypatch, capsys):
    if step.skip:
        pytest.skip(f"README.md:{step.line} {step.skip}: {step.text}")
    monkeypatch.chdir(workspace)
    if step.kind == "python":
        exec(compile(step.text, f"README.md:{step.line}", "exec"), {"__name__": "readme"})
        return
    command = step.text
    for original, smaller in SMALLER.items():
        if _without_comment(command).startswith(original):
            command = _without_comment(command).replace(original, smaller, 1)
    if _runs_in_process(command):
        from framer.cli.main import main

        code = main(shlex.split(command, comments=True)[1:])
        output = capsys.readouterr()
        log = output.out + output.err
    else:
        done = subprocess.run(["bash", "-euo", "pipefail", "-c", command], capture_output=True, text=True, check=False)
        code, log = done.returncode, done.stdout + done.stderr
    assert code == 0, f"README.md:{step.line} exited {code}: {command}\n{log[-3000:]}"
