"""Expire uploads that never arrived, end overdue documents, purge documents past retention. Safe to re-run.

Every status that is not terminal has a deadline: PENDING_UPLOAD the upload expiry (-> EXPIRED: the
client never uploaded, an ordinary end); QUEUED and PROCESSING the env's deadlines (-> FAILED with the
reason, announced, counted as DocumentsOverdue - an alarm: something in the flow is stuck). An overdue
document's execution is stopped and its BDA slot given back.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from idp_common import uploads
from idp_common.documents import DocumentStore, iso
from idp_common.errors import TransitionRejectedError
from idp_common.finalize import Notify, finish
from idp_common.status import TERMINAL, DocumentStatus


@dataclass
class CleanupReport:
    expired: list[str] = field(default_factory=list)
    purged: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    overdue: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Deadlines:
    queued: timedelta
    processing: timedelta


def end_overdue(
    *,
    store: DocumentStore,
    notify: Notify,
    now: datetime,
    deadlines: Deadlines,
    release: Callable[[str, str], None],
    report: CleanupReport,
) -> None:
    """QUEUED / PROCESSING with no progress for longer than their deadline -> FAILED, announced;
    release(document_id, reason) stops what still runs for it (its execution, its BDA slot)."""
    for status, limit in ((DocumentStatus.QUEUED, deadlines.queued), (DocumentStatus.PROCESSING, deadlines.processing)):
        cutoff = iso(now - limit)
        for record in store.by_status(status, cutoff):  # created before the cutoff: updated maybe not
            if record.updated_at >= cutoff:
                continue
            seconds = int(limit.total_seconds())
            reason = f"overdue: {status.value} for more than {seconds} s (last change {record.updated_at})"
            try:
                finish(store, record.document_id, DocumentStatus.FAILED, notify, status_reason=reason)
            except TransitionRejectedError:
                report.skipped.append(record.document_id)  # it moved on meanwhile
                continue
            release(record.document_id, reason)
            report.overdue.append(record.document_id)


def _delete_prefix(s3: Any, bucket: str, prefix: str) -> None:
    paginator = s3.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
        keys = [{"Key": obj["Key"]} for obj in page.get("Contents", [])]
        if keys:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})


def run_cleanup(
    *,
    store: DocumentStore,
    s3: Any,
    notify: Notify,
    input_bucket: str,
    output_bucket: str,
    now: datetime,
    upload_expiry: timedelta,
    default_retention_days: int,
    retention_by_type: Mapping[str, int],
    deadlines: Deadlines,
    release: Callable[[str, str], None],
) -> CleanupReport:
    report = CleanupReport()
    end_overdue(store=store, notify=notify, now=now, deadlines=deadlines, release=release, report=report)
    for record in store.by_status(DocumentStatus.PENDING_UPLOAD, iso(now - upload_expiry)):
        try:
            finish(store, record.document_id, DocumentStatus.EXPIRED, notify, status_reason="upload never arrived")
        except TransitionRejectedError:
            report.skipped.append(record.document_id)  # the upload arrived meanwhile
            continue
        _delete_prefix(s3, input_bucket, f"{uploads.UPLOAD_PREFIX}{record.document_id}/")
        report.expired.append(record.document_id)
    shortest = min([default_retention_days, *retention_by_type.values()])
    for status in sorted(TERMINAL):
        for record in store.by_status(status, iso(now - timedelta(days=shortest))):
            days = retention_by_type.get(record.document_type, default_retention_days)
            if record.created_at >= iso(now - timedelta(days=days)):
                continue
            _delete_prefix(s3, input_bucket, f"{uploads.UPLOAD_PREFIX}{record.document_id}/")
            _delete_prefix(s3, output_bucket, uploads.bda_output_prefix(record.document_id))
            s3.delete_object(Bucket=output_bucket, Key=uploads.result_key(record.document_id))
            store.delete(record.document_id)
            report.purged.append(record.document_id)
    return report
