"""torch's CPU thread pool, which is one per process.

Decoding a 135M model is a chain of small matmuls; on a 2-core machine that
also runs the retrieval service and tests, a second intra-op thread often
waits on a busy core instead of helping (see bench/llm_decode.py for the
figures). The thread count is therefore an explicit engine setting rather
than torch's default of one per core.
"""

from __future__ import annotations

import os

import torch


def available_cpus() -> int:
    """Cores this process may run on (the cgroup/affinity view, not the host's)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def set_torch_threads(threads: int) -> None:
    """Sets torch's intra-op pool size for the whole process.

    Inter-op threads are left alone: torch only lets them be set before any
    parallel work has run, and the engine runs one graph at a time anyway.
    """
    if threads < 1:
        raise ValueError(f"threads must be >= 1, got {threads}")
    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
