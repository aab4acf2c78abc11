"""Run the real ``cfn-lint`` (test extras) on rendered CloudFormation templates."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path


def cfn_lint_binary() -> str:
    """The ``cfn-lint`` installed next to this Python (test extras), else the one on PATH."""
    beside = Path(sys.executable).parent / "cfn-lint"
    found = str(beside) if beside.exists() else shutil.which("cfn-lint")
    assert found, "cfn-lint is not installed: pip install -e '.[test]'"
    return found


def cfn_lint(templates: Mapping[str, str], directory: Path) -> None:
    """Write each template to ``directory`` and lint them in one run; any error or warning fails."""
    paths = []
    for stem, text in templates.items():
        path = directory / f"{stem}.yaml"
        path.write_text(text, encoding="utf-8")
        paths.append(str(path))
    done = subprocess.run(
        [cfn_lint_binary(), "--format", "parseable", *paths],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout + done.stderr
