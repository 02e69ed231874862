"""Who calls the API, as API Gateway tells the function: each caller sees only its own documents.

With IAM authorization, API Gateway puts the verified signer in `requestContext.identity`: `userArn`
is an IAM user's ARN, or for a role session `arn:aws:sts::<account>:assumed-role/<role>/<session>`.
A role's sessions are one caller (a client application renews its session, and must keep its
documents), so the session name is left out. With a Cognito authorizer the caller is the token's
`sub`. An API deployed without authorization has one caller: anonymous.
"""

from __future__ import annotations

import re
from typing import Any

ANONYMOUS = "anonymous"
_ROLE_SESSION = re.compile(r"^(arn:[^:]+:sts::\d{12}:assumed-role/[^/]+)/.+$")


def caller_of(request_context: dict[str, Any] | None) -> str:
    context = request_context or {}
    claims = (context.get("authorizer") or {}).get("claims") or {}
    if isinstance(claims, dict) and claims.get("sub"):
        return f"cognito:{claims['sub']}"
    arn = (context.get("identity") or {}).get("userArn")
    if not isinstance(arn, str) or not arn:
        return ANONYMOUS
    session = _ROLE_SESSION.match(arn)
    return session.group(1) if session else arn
