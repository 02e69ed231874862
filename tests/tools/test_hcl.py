"""idp.hcl.read keeps each parse by the file's text: a file read again is not parsed again, a file
that changed is, and no caller sees another's edits."""

from __future__ import annotations

from pathlib import Path

import hcl2
import pytest

from idp import hcl


def test_a_changed_file_is_read_again_and_each_reader_has_its_own_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parses: list[str] = []
    real = hcl2.loads

    def counted(text: str) -> object:
        parses.append(text)
        return real(text)

    monkeypatch.setattr(hcl2, "loads", counted)
    hcl._parsed.cache_clear()
    unit = tmp_path / "terragrunt.hcl"
    unit.write_text('locals {\n  env = "dev"\n}\n')
    first = hcl.read(unit)
    first["locals"][0]["env"] = "edited by a caller"
    assert hcl.read(unit)["locals"][0]["env"] == "dev"  # the caller's edit stayed its own
    assert len(parses) == 1  # the same text: parsed once
    unit.write_text('locals {\n  env = "test"\n}\n')
    assert hcl.read(unit)["locals"][0]["env"] == "test"
    assert len(parses) == 2
