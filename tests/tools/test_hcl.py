"""idp.hcl.read keeps each parse by the file's text - in the process and on disk: a file read again is
not parsed again (not even by the next process), a file that changed is, no caller sees another's
edits, and a cache that is broken or cannot be written is passed by."""

from __future__ import annotations

import json
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path

import hcl2
import pytest

from idp import hcl

UNIT = 'locals {\n  env = "dev"\n}\n'


@pytest.fixture
def parses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Each text the parser is run on; the disk cache under tmp_path; a fresh process's memory."""
    seen: list[str] = []
    real = hcl2.loads

    def counted(text: str) -> object:
        seen.append(text)
        return real(text)

    monkeypatch.setattr(hcl2, "loads", counted)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    hcl._parsed.cache_clear()
    yield seen
    hcl._parsed.cache_clear()


def test_a_changed_file_is_read_again_and_each_reader_has_its_own_copy(tmp_path: Path, parses: list[str]) -> None:
    unit = tmp_path / "terragrunt.hcl"
    unit.write_text(UNIT)
    first = hcl.read(unit)
    first["locals"][0]["env"] = "edited by a caller"
    assert hcl.read(unit)["locals"][0]["env"] == "dev"  # the caller's edit stayed its own
    assert len(parses) == 1  # the same text: parsed once
    unit.write_text(UNIT.replace("dev", "test"))
    assert hcl.read(unit)["locals"][0]["env"] == "test"
    assert len(parses) == 2


def test_the_next_process_reads_the_kept_parse_and_a_broken_one_is_parsed_again(
    tmp_path: Path, parses: list[str]
) -> None:
    unit = tmp_path / "terragrunt.hcl"
    unit.write_text(UNIT)
    parsed = hcl.read(unit)
    hcl._parsed.cache_clear()  # as a new `idp` process starts
    assert hcl.read(unit) == parsed
    assert len(parses) == 1
    (kept,) = hcl.cache_dir().glob("*.json")
    assert json.loads(kept.read_text()) == parsed
    kept.write_text("{not json")  # a half-written or damaged entry
    hcl._parsed.cache_clear()
    assert hcl.read(unit) == parsed
    assert len(parses) == 2
    assert json.loads(kept.read_text()) == parsed  # and written again


def test_a_cache_that_cannot_be_written_is_passed_by(
    tmp_path: Path, parses: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    unit = tmp_path / "terragrunt.hcl"
    unit.write_text(UNIT)
    assert hcl.read(unit)["locals"][0]["env"] == "dev"


def test_a_kept_parse_names_the_parser_that_made_it() -> None:
    """A new python-hcl2 in uv.lock must not read parses the old one kept: bump _FORMAT with it."""
    assert hcl._FORMAT.startswith(f"python-hcl2-{version('python-hcl2')}/")


def test_files_parsed_in_threads_at_once_are_each_parsed_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    """python-hcl2 8.1.4 serializes every tree with one SerializationContext, a mutable default argument,
    and sets its inside_dollar_string while it writes an expression: a parse in another thread meanwhile
    wrote `[]`, `null` and `true` as strings - and the disk cache kept them for every later process (a gate
    failed on a module README rendered from such a parse). A parse here holds idp.hcl's lock."""
    import threading
    import time
    from contextlib import contextmanager

    from hcl2 import utils

    text = 'variable "a" {\n  default = []\n}\nlocals {\n  on = true\n  off = null\n  n = length([1, 2])\n}\n'
    expected = hcl._parse(text)
    assert expected["variable"][0]["a"]["default"] == []
    modify = utils.SerializationContext.modify

    @contextmanager
    def held(self: utils.SerializationContext, **changes: bool) -> Iterator[None]:
        with modify(self, **changes):
            time.sleep(0.02)  # inside the expression long enough for another thread's parse to run
            yield

    monkeypatch.setattr(utils.SerializationContext, "modify", held)
    parsed: list[dict[str, object]] = []
    start = threading.Barrier(6)

    def parse() -> None:
        start.wait()
        parsed.append(hcl._parse(text))

    threads = [threading.Thread(target=parse) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert parsed == [expected] * 6
