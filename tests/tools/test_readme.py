"""The README's runbooks name only paths that resolve, `idp` commands that exist and make targets
the Makefile has (a stale runbook step fails here, not on a new user's first day)."""

from __future__ import annotations

import re
from pathlib import Path

import typer

from idp.cli import app
from tests.conftest import REPO_ROOT

# The README and the guides it links (docs/*.md): one set of runbooks, checked together.
GUIDES = [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md"))]
README = "\n".join(path.read_text() for path in GUIDES)
SPANS = re.findall(r"`([^`\n]+)`", README)
# Placeholders a runbook step uses for an existing folder; `<new>` names one the step creates.
EXAMPLE = {"<env>": "dev", "<region>": "eu-west-1", "<unit>": "compute"}
ROOTS = (
    "live/",
    "modules/",
    "tools/",
    "tests/",
    "scripts/",
    ".github/",
    "docs/",
    "lambdas/",
    "doc-configs/",
    "samples/",
)
STATE_KEY = re.compile(r"\.tfstate$")  # a key in the state bucket, not a file of the repository


def concrete(text: str) -> str | None:
    for placeholder, value in EXAMPLE.items():
        text = text.replace(placeholder, value)
    return None if "<" in text else text


def test_every_path_and_cd_in_the_readme_resolves() -> None:
    checked, missing = 0, []
    cwd = REPO_ROOT
    for span in SPANS:
        for target in re.findall(r"(?:^|&&\s*)cd\s+([^\s&]+)", span):
            path = concrete(target)
            if path is None:
                continue
            # A step that names a repository folder starts from the root; `../x` and `x` continue the last.
            folder = ((REPO_ROOT if path.startswith(ROOTS) else cwd) / path).resolve()
            checked += 1
            if not folder.is_dir():
                missing.append(f"cd {target} (from {cwd.relative_to(REPO_ROOT)})")
            cwd = folder
        if span.startswith(ROOTS) and " " not in span and not STATE_KEY.search(span):
            path = concrete(span)
            if path is None:
                continue
            checked += 1
            if not list(REPO_ROOT.glob(path.rstrip("/"))):
                missing.append(span)
    assert missing == []
    assert checked > 40


def command_tree() -> tuple[set[str], set[str]]:
    """(every command path, the paths that are groups: their next word must be a sub-command)."""
    root = typer.main.get_command(app)
    paths: set[str] = set()
    groups: set[str] = set()

    def walk(command: object, prefix: str) -> None:
        paths.add(prefix)
        subs = getattr(command, "commands", {})
        if subs:
            groups.add(prefix)
        for name, sub in subs.items():
            walk(sub, f"{prefix} {name}".strip())

    walk(root, "")
    return paths, groups


def test_every_idp_command_the_readme_names_exists() -> None:
    known, groups = command_tree()
    named, unknown = set(), set()
    for span in SPANS:
        for match in re.finditer(r"\bidp((?: [a-z][a-z0-9/-]*)+)", span):
            path = ""
            for word in match.group(1).split():
                if path and path not in groups:
                    break  # a command's arguments follow
                for candidate in word.split("/"):  # `idp release env/digests/record`
                    full = f"{path} {candidate}".strip()
                    (named if full in known else unknown).add(full)
                path = f"{path} {word.split('/')[0]}".strip()
                if path not in known:
                    break
    assert sorted(unknown) == []
    assert len(named) > 15


def test_every_make_target_the_readme_names_exists() -> None:
    targets = set(re.findall(r"^([a-z-]+):", (REPO_ROOT / "Makefile").read_text(), re.M))
    named = {m for span in SPANS for m in re.findall(r"\bmake ([a-z-]+)", span)}
    assert named
    assert named - targets == set()


def test_a_stale_step_would_be_found() -> None:
    """The checks above read what they judge: a made-up path and command are not in the tree or the CLI."""
    assert not (REPO_ROOT / "live" / "dev" / "eu-west-1" / "no-such-unit").exists()
    assert "release rollback" not in command_tree()[0]
    assert concrete("live/<new>/env.hcl") is None
    assert Path(str(concrete("live/<env>/account.hcl"))).parts[:2] == ("live", "dev")


def test_the_curl_example_sends_the_session_token_only_when_there_is_one() -> None:
    """#22 row 5: with long-term keys (no AWS_SESSION_TOKEN) the example sent an empty
    x-amz-security-token header; curl signs it, does not send it, and AWS answers 403. The README's own
    lines run in bash, with curl standing in as a printer of its arguments."""
    import subprocess

    text = README
    block = next(b for b in re.findall(r"```bash\n(.*?)```", text, re.S) if "curl --aws-sigv4" in b)
    script = "curl() { printf '<%s>\\n' \"$@\"; }\n" + block

    def arguments(token: str | None) -> list[str]:
        env = {"PATH": "/usr/bin:/bin", "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "secret"}
        if token is not None:
            env["AWS_SESSION_TOKEN"] = token
        done = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, check=True)
        return done.stdout.splitlines()

    assert not any("security-token" in arg for arg in arguments(None))
    assert "<x-amz-security-token: a-session-token>" in arguments("a-session-token")


def test_a_first_setup_says_what_it_installed_in_one_line_not_a_line_per_package() -> None:
    """#22 row 15: the first `make demo` printed ~130 `+ package==version` lines. Every uv sync of the
    Makefile is quiet (uv still prints errors) and followed by one line saying what it did."""
    lines = (REPO_ROOT / "Makefile").read_text().splitlines()
    syncs = [i for i, line in enumerate(lines) if " sync --frozen" in line]
    assert len(syncs) >= 2  # the project's environment and checkov's
    for i in syncs:
        assert "--quiet" in lines[i], lines[i]
        assert lines[i + 1].strip().startswith("@echo"), lines[i + 1]
        assert "synced from" in lines[i + 1], lines[i + 1]


def _prerequisites(target: str) -> set[str]:
    makefile = (REPO_ROOT / "Makefile").read_text()
    found = re.search(rf"^{target}:([^#\n]*)", makefile, re.M)
    assert found, f"no {target} target in the Makefile"
    return set(found.group(1).split())


def test_what_make_demo_installs_is_what_the_readme_says() -> None:
    """#22 row 14: the README said `make setup` was "run by both targets"; `make demo` installs only the
    Python environment (its one prerequisite), `make test` everything (`setup`)."""
    readme = " ".join((REPO_ROOT / "README.md").read_text().split())
    assert _prerequisites("demo") == {"$(SYNCED)"}
    assert "setup" in _prerequisites("test")
    assert "`make demo` installs the Python environment" in readme
    assert "run by both" not in readme


README_BUDGET_BYTES = 10_000  # #22: a few screens - what it is, the two commands, the map, where next


def test_the_readme_is_a_few_screens_and_links_every_guide() -> None:
    """Fails if the README grows back into the 80 KB manual (runbooks and references go in docs/), or
    a guide is not linked from it, or a link points nowhere."""
    text = (REPO_ROOT / "README.md").read_text()
    assert len(text.encode()) <= README_BUDGET_BYTES
    linked = set(re.findall(r"\]\((docs/[^)#]+)\)", text))
    guides = {f"docs/{p.name}" for p in (REPO_ROOT / "docs").glob("*.md")}
    assert guides <= linked
    assert all((REPO_ROOT / link).exists() for link in linked)
    for guide in (REPO_ROOT / "docs").glob("*.md"):
        for link in re.findall(r"\]\(([^)#:]+)\)", guide.read_text()):
            assert (guide.parent / link).exists(), f"{guide.name}: {link}"
