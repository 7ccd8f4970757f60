"""Shell scripts of the repository: checks that bit us."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = [ROOT / "setup.sh", ROOT / ".ci" / "run", *sorted((ROOT / "scripts").glob("*.sh"))]


def test_no_early_exiting_grep_in_pipelines_under_pipefail() -> None:
    # `cmd | grep -q x` under `set -o pipefail`: grep exits at the first match, cmd's next
    # write gets SIGPIPE and the pipeline fails — setup.sh saw installed fonts as missing in
    # 17 of 30 runs and ran apt-get
    for script in SCRIPTS:
        text = script.read_text(encoding="utf-8")
        if "pipefail" not in text:
            continue
        code = [line.split("#", 1)[0] for line in text.splitlines()]
        bad = [line for line in code if re.search(r"\|\s*grep\s+(-\w*q|--quiet)", line)]
        assert not bad, f"{script.name}: {bad}"
