"""Run a load test: the swarm (idp.load.swarm) in its own process, its result read back and judged.

The same function runs against a deployed env (`idp load run --env`, the deploy's load-test step) and
against the local stack (`idp load local`); only the API URL and the credentials differ (the
environment the swarm process gets).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

from idp.load.policy import LoadPolicy
from idp.load.result import LoadResult
from idp.local.samples import SAMPLES, SAMPLES_DIR, Sample
from idp_common.status import DocumentStatus

# The documents a load sends, in turn: every sample a client sends expecting it processed.
PROCESSED = {DocumentStatus.COMPLETED.value, DocumentStatus.LOW_CONFIDENCE.value}
LOAD_SAMPLES: tuple[Sample, ...] = tuple(s for s in SAMPLES if s.expected is DocumentStatus.COMPLETED)
GRACE_SECONDS = 60  # the swarm's own start and stop, beyond the policy's timeout
_PAGE = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")


class LoadError(RuntimeError):
    """The load test could not run (not: it ran and breached a threshold)."""


def pdf_pages(path: Path) -> int:
    """Pages of one of our sample PDFs (its page objects): what BDA bills for it."""
    return max(1, len(_PAGE.findall(path.read_bytes())))


def pages_processed(result: LoadResult, samples: tuple[Sample, ...] = LOAD_SAMPLES) -> int:
    """BDA pages of the load: each processed document's sample's pages."""
    pages = {s.name: pdf_pages(SAMPLES_DIR / "documents" / s.filename) for s in samples}
    return sum(pages.get(d.sample, 1) for d in result.documents if d.status in PROCESSED)


def swarm_config(
    api: str,
    policy: LoadPolicy,
    region: str,
    *,
    poll_seconds: float,
    document_timeout: float,
    callback_url: str = "",
    samples: tuple[Sample, ...] = LOAD_SAMPLES,
) -> dict[str, object]:
    if not api.startswith(("https://", "http://127.0.0.1", "http://localhost")):
        raise LoadError(f"--api {api!r} is not an https URL (or the local stack's loopback address)")
    return {
        "api": api,
        "region": region,
        "documents": policy.documents,
        "concurrency": policy.concurrency,
        "poll_seconds": poll_seconds,
        "document_timeout": document_timeout,
        "time_limit": policy.timeout_minutes * 60,
        "callback_url": callback_url,
        "samples": [
            {
                "sample": s.name,
                "declared_type": s.declared_type,
                "content_type": s.content_type,
                "path": str(SAMPLES_DIR / "documents" / s.filename),
                "expected": s.expected.value,
            }
            for s in samples
        ],
    }


def run_swarm(config: Mapping[str, object], environ: Mapping[str, str] | None = None) -> LoadResult:
    """The swarm process with `environ` (None: this process's); its result, or LoadError saying why not."""
    with tempfile.TemporaryDirectory(prefix="idp-load-") as work:
        config_path, result_path = Path(work) / "config.json", Path(work) / "result.json"
        config_path.write_text(json.dumps(config), encoding="utf-8")
        limit = float(str(config["time_limit"])) + GRACE_SECONDS
        try:
            done = subprocess.run(
                [sys.executable, "-m", "idp.load.swarm", str(config_path), str(result_path)],
                capture_output=True,
                text=True,
                timeout=limit,
                env=dict(environ) if environ is not None else None,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise LoadError(f"the load test's swarm did not stop within {limit:g} s") from exc
        if done.returncode != 0 or not result_path.is_file():
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise LoadError(f"the load test's swarm failed (exit {done.returncode}): {last}")
        return LoadResult.from_data(json.loads(result_path.read_text(encoding="utf-8")))
