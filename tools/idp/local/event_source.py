"""What Lambda's SQS event source mapping does, for the local run (moto's ignores batchItemFailures).

Receive a batch, hand it to the mapping's function (sqs_poller, bda_orchestrator) as an SQS event,
delete what succeeded; failures become
visible again after the visibility timeout, and SQS's redrive policy moves them to the DLQ.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from typing import Any

from idp.local.lambda_router import invoking

Handler = Callable[[dict[str, Any], Any], Any]


def sqs_event(messages: list[dict[str, Any]], queue_arn: str, region: str) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m.get("Attributes", {}),
                "messageAttributes": {},
                "md5OfBody": hashlib.md5(m["Body"].encode(), usedforsecurity=False).hexdigest(),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
            for m in messages
        ]
    }


class EventSourceMapping:
    """batch_size and reports_item_failures: the mapping's settings as applied (BatchSize,
    FunctionResponseTypes). Lambda's batching window only delays a batch; the stand-in does not wait."""

    def __init__(
        self,
        sqs: Any,
        queue_url: str,
        handler: Handler,
        context: Any,
        region: str,
        *,
        function: str,
        batch_size: int = 10,
        reports_item_failures: bool = True,
    ) -> None:
        self._sqs = sqs
        self._url = queue_url
        self._handler = handler
        self._context = context
        self._region = region
        self._function = function
        self._batch = max(1, min(batch_size, 10))  # one ReceiveMessage returns at most 10
        self._item_failures = reports_item_failures
        self._arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.batches = 0
        self.failures = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def poll_once(self) -> int:
        response = self._sqs.receive_message(
            QueueUrl=self._url, MaxNumberOfMessages=self._batch, WaitTimeSeconds=1, AttributeNames=["All"]
        )
        messages = response.get("Messages", [])
        if not messages:
            return 0
        try:
            with invoking(self._function):
                result = self._handler(sqs_event(messages, self._arn, self._region), self._context)
            # Without ReportBatchItemFailures, Lambda ignores the answer: a return is success for all.
            reported = (result or {}).get("batchItemFailures", []) if self._item_failures else []
            failed = {item["itemIdentifier"] for item in reported}
        except Exception:  # a function error fails the whole batch, as in Lambda
            # (Powertools raises when every record of a batch failed.)
            failed = {m["MessageId"] for m in messages}
        self.batches += 1
        self.failures += len(failed)
        for message in messages:
            if message["MessageId"] not in failed:
                self._sqs.delete_message(QueueUrl=self._url, ReceiptHandle=message["ReceiptHandle"])
        return len(messages)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.poll_once()
