from __future__ import annotations

import pytest

from idp_common.documents import DocumentRecord, DocumentStore, iso, utcnow
from idp_common.errors import TransitionRejectedError
from idp_common.status import DocumentStatus
from tests.conftest import Stack


def record(document_id: str, created_at: str | None = None) -> DocumentRecord:
    now = created_at or iso(utcnow())
    return DocumentRecord(
        document_id=document_id,
        document_type="passport",
        status=DocumentStatus.PENDING_UPLOAD,
        created_at=now,
        updated_at=now,
        object_key=f"uploads/{document_id}/a.pdf",
        content_type="application/pdf",
        filename="a.pdf",
    )


@pytest.fixture
def store(stack: Stack) -> DocumentStore:
    return DocumentStore(stack.client("dynamodb"), stack.names.documents_table)


def test_create_is_not_an_overwrite(store: DocumentStore) -> None:
    store.create(record("d1"))
    with pytest.raises(Exception, match="ConditionalCheckFailed"):
        store.create(record("d1"))


def test_transition_follows_the_status_machine(store: DocumentStore) -> None:
    store.create(record("d1"))
    queued = store.transition("d1", DocumentStatus.QUEUED, size_bytes=42)
    assert queued.status is DocumentStatus.QUEUED
    assert queued.size_bytes == 42
    with pytest.raises(TransitionRejectedError, match="is QUEUED; cannot move to COMPLETED"):
        store.transition("d1", DocumentStatus.COMPLETED)
    store.transition("d1", DocumentStatus.PROCESSING)
    done = store.transition("d1", DocumentStatus.COMPLETED, confidence=0.91, language="en")
    assert (done.confidence, done.language) == (0.91, "en")
    with pytest.raises(TransitionRejectedError):
        store.transition("d1", DocumentStatus.FAILED)
    current = store.get("d1")
    assert current is not None
    assert current.status is DocumentStatus.COMPLETED


def test_transition_of_unknown_document_is_rejected(store: DocumentStore) -> None:
    with pytest.raises(TransitionRejectedError, match="does not exist"):
        store.transition("nope", DocumentStatus.QUEUED)


def test_by_status_pages_through_the_index(store: DocumentStore) -> None:
    for i in range(30):
        store.create(record(f"d{i:02d}", created_at=f"2026-01-01T00:00:{i:02d}.000Z"))
    store.transition("d00", DocumentStatus.QUEUED)
    older = list(store.by_status(DocumentStatus.PENDING_UPLOAD, "2026-01-01T00:00:20.000Z"))
    assert sorted(r.document_id for r in older) == [f"d{i:02d}" for i in range(1, 20)]


def test_record_callback_leaves_status_alone(store: DocumentStore) -> None:
    store.create(record("d1"))
    store.record_callback("d1", "delivered")
    current = store.get("d1")
    assert current is not None
    assert (current.callback_status, current.status) == ("delivered", DocumentStatus.PENDING_UPLOAD)
