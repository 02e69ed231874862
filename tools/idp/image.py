"""Facts about the Lambda image, read from lambdas/Dockerfile (the one place they are written)."""

from __future__ import annotations

from functools import cache

from dockerfile_parse import DockerfileParser

from idp.paths import REPO_ROOT

DOCKERFILE = REPO_ROOT / "lambdas" / "Dockerfile"


@cache
def parsed() -> DockerfileParser:
    return DockerfileParser(path=str(DOCKERFILE))


def runtime_env() -> dict[str, str]:
    """The ENV of the final stage: what every function's interpreter starts with."""
    return dict(parsed().envs)
