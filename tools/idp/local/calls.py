"""A call the embedded AWS answered, as its recorder keeps it: what the IAM action map (idp.local.
iam_actions) judges against the roles. Its own module: the server records calls, the action map reads
them, and the server's moto fixes use the action map - none of them imports another in a circle."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Call:
    phase: str
    service: str  # the SigV4 signing name: s3, iam, monitoring, states, ...
    operation: str  # the X-Amz-Target / Action, or "METHOD /path?query" for REST protocols
    status: int
    subject: str = ""  # what it acts on, where the request names it plainly (IAM names, the S3 bucket)
    request: str = ""  # a digest of the request (method, path, query, body): a client's retry repeats it
