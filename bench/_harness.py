"""What every benchmark prints about where it ran: one machine line, one conditions note."""

from __future__ import annotations

import os
import platform
from importlib import metadata
from pathlib import Path

#: distribution names of packages whose import name differs
_DISTRIBUTIONS = {"ibis": "ibis-framework"}


def machine(*packages: str, extra: str = "") -> str:
    """nproc, memory (GiB), CPU model, Python and ``packages`` versions and ``extra``
    (bench-specific settings); the load goes in :func:`conditions`."""
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    versions = "".join(
        f", {name} {metadata.version(_DISTRIBUTIONS.get(name, name))}" for name in packages
    )
    return (
        f"nproc {os.cpu_count()}, memory {mem:.1f} GiB, CPU {cpu}; "
        f"Python {platform.python_version()}{versions}" + (f"; {extra}" if extra else "")
    )


def conditions(load_at_start: float) -> str:
    """The 1-minute load average at the start and now, and ``quiet machine`` when both are
    below 3 on this 2-core machine, else a warning that other work shared the cores."""
    now = os.getloadavg()[0]
    quiet = max(load_at_start, now) < 3
    verdict = (
        "quiet machine"
        if quiet
        else "other work was running on the same cores (absolute times are pessimistic)"
    )
    return (
        f"1-minute load average {load_at_start:.1f} at the start, {now:.1f} at the end: {verdict}"
    )


def publish(block: str, append: bool) -> None:
    """Print the result ``block`` (Markdown) and, when ``append``, add it to bench/RESULTS.md."""
    print(block)
    if append:
        with (Path(__file__).resolve().parent / "RESULTS.md").open("a", encoding="utf-8") as fh:
            fh.write(block)
