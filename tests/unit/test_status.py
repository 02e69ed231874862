from __future__ import annotations

import itertools

import pytest

from idp_common.status import TERMINAL, TRANSITIONS, DocumentStatus, can_transition, sources_of


@pytest.mark.parametrize("terminal", sorted(TERMINAL))
def test_terminal_states_never_change(terminal: DocumentStatus) -> None:
    assert all(not can_transition(terminal, target) for target in DocumentStatus)


def test_happy_path_is_allowed() -> None:
    path = [DocumentStatus.PENDING_UPLOAD, DocumentStatus.QUEUED, DocumentStatus.PROCESSING, DocumentStatus.COMPLETED]
    assert all(can_transition(a, b) for a, b in itertools.pairwise(path))


def test_expired_only_from_pending_upload() -> None:
    assert sources_of(DocumentStatus.EXPIRED) == {DocumentStatus.PENDING_UPLOAD}


def test_no_way_back_to_pending() -> None:
    assert sources_of(DocumentStatus.PENDING_UPLOAD) == frozenset()
    assert all(DocumentStatus.PENDING_UPLOAD not in targets for targets in TRANSITIONS.values())
