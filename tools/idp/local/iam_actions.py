"""From a recorded request to the IAM action that authorises it, and whether a policy allows it.

RPC protocols name the operation in the request (X-Amz-Target, Action=); REST ones are matched to
the service's botocore model by method and URI template. Most IAM actions are `<prefix>:<operation>`;
the exceptions this stack meets are in the tables below (from the services' authorization references).
Policies are evaluated on actions only - explicit Deny wins, then any Allow - not on resources.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import unquote

import botocore.session

from idp.local.calls import Call

# SigV4 signing name -> botocore service, where they differ.
SERVICES = {"monitoring": "cloudwatch", "states": "stepfunctions", "email": "ses"}
# SigV4 signing name -> IAM prefix, where they differ.
PREFIXES = {"monitoring": "cloudwatch"}
# S3 operations whose IAM action has another name.
S3_ACTIONS = {
    "HeadBucket": "ListBucket",
    "ListObjects": "ListBucket",
    "ListObjectsV2": "ListBucket",
    "ListObjectVersions": "ListBucketVersions",
    "ListBuckets": "ListAllMyBuckets",
    "HeadObject": "GetObject",
    "DeleteObjects": "DeleteObject",
    "GetBucketCors": "GetBucketCORS",
    "PutBucketCors": "PutBucketCORS",
    "DeleteBucketCors": "PutBucketCORS",
    "GetBucketLifecycleConfiguration": "GetLifecycleConfiguration",
    "PutBucketLifecycleConfiguration": "PutLifecycleConfiguration",
    "DeleteBucketLifecycle": "PutLifecycleConfiguration",
    "GetBucketEncryption": "GetEncryptionConfiguration",
    "PutBucketEncryption": "PutEncryptionConfiguration",
    "DeleteBucketEncryption": "PutEncryptionConfiguration",
    "GetBucketReplication": "GetReplicationConfiguration",
    "GetObjectLockConfiguration": "GetBucketObjectLockConfiguration",
    "GetBucketAccelerateConfiguration": "GetAccelerateConfiguration",
    "GetBucketNotificationConfiguration": "GetBucketNotification",
    "PutBucketNotificationConfiguration": "PutBucketNotification",
    "GetPublicAccessBlock": "GetBucketPublicAccessBlock",
    "PutPublicAccessBlock": "PutBucketPublicAccessBlock",
    "DeletePublicAccessBlock": "PutBucketPublicAccessBlock",
    "DeleteBucketOwnershipControls": "PutBucketOwnershipControls",
    "DeleteBucketTagging": "PutBucketTagging",
    "DeleteBucketWebsite": "DeleteBucketWebsite",
}
# Budgets operations authorised by its two umbrella actions (AWS Budgets, "Actions, resources, and
# condition keys": ViewBudget reads a budget and its notifications, ModifyBudget changes them).
BUDGETS_ACTIONS = {
    **dict.fromkeys(
        ("DescribeBudget", "DescribeBudgets", "DescribeNotificationsForBudget", "DescribeSubscribersForNotification"),
        "ViewBudget",
    ),
    **dict.fromkeys(
        (
            "CreateBudget",
            "UpdateBudget",
            "DeleteBudget",
            "CreateNotification",
            "UpdateNotification",
            "DeleteNotification",
            "CreateSubscriber",
            "UpdateSubscriber",
            "DeleteSubscriber",
        ),
        "ModifyBudget",
    ),
}
READ_VERBS = ("Get", "List", "Describe", "Head", "Check", "Validate", "Lookup", "Search", "Batch Get", "View")
NEEDS_NO_PERMISSION = {"sts:GetCallerIdentity"}


@dataclass(frozen=True)
class Route:
    operation: str
    method: str
    pattern: re.Pattern[str]
    query: frozenset[str]
    literal: int  # characters of the template that are not placeholders: the most specific wins


def _compile(uri: str) -> tuple[re.Pattern[str], frozenset[str], int]:
    path, _, query = uri.partition("?")
    regex = ""
    for piece in re.split(r"(\{[^}]+\})", path):
        if piece.startswith("{"):
            regex += "(.+)" if piece.endswith("+}") else "([^/]+)"
        else:
            regex += re.escape(piece)
    keys = frozenset(part.split("=", 1)[0] for part in query.split("&") if part)
    return re.compile(f"^{regex}/?$"), keys, len(re.sub(r"\{[^}]+\}", "", uri))


def _required_headers(op: Any) -> bool:
    shape = op.input_shape
    if shape is None:
        return False
    return any(shape.members[m].serialization.get("location") == "header" for m in shape.required_members)


@cache
def _routes(service: str) -> tuple[Route, ...]:
    model = botocore.session.get_session().get_service_model(service)
    routes = []
    for name in model.operation_names:
        op = model.operation_model(name)
        if op.deprecated or _required_headers(op):  # one route each: CopyObject is PutObject + a header
            continue
        http = op.http
        pattern, query, literal = _compile(http["requestUri"])
        routes.append(Route(name, http["method"], pattern, query, literal))
    return tuple(routes)


def operation(call: Call) -> str | None:
    """The API operation of a recorded call (None when no model route matches)."""
    if " /" not in call.operation:  # an RPC protocol named it
        return call.operation
    method, _, target = call.operation.partition(" ")
    path, _, query = target.partition("?")
    keys = {part.split("=", 1)[0] for part in query.split("&") if part}
    service = SERVICES.get(call.service, call.service)
    candidates = [
        r for r in _routes(service) if r.method == method and r.query <= keys and r.pattern.match(path or "/")
    ]
    return max(candidates, key=lambda r: (len(r.query), r.literal)).operation if candidates else None


def action_for(signing_name: str, operation_name: str) -> str:
    """The IAM action of an API operation, by its service's SigV4 signing name (a client knows both)."""
    if signing_name == "s3":
        operation_name = S3_ACTIONS.get(operation_name, operation_name)
    if signing_name == "budgets":
        operation_name = BUDGETS_ACTIONS.get(operation_name, operation_name)
    return f"{PREFIXES.get(signing_name, signing_name)}:{operation_name}"


def iam_action(call: Call) -> str | None:
    name = operation(call)
    if name is None:
        return None
    if call.service == "apigateway":  # API Gateway's management API is authorised by HTTP verb
        return f"apigateway:{call.operation.split(' ', 1)[0]}"
    return action_for(call.service, name)


def granted_actions(documents: Iterable[dict[str, Any]]) -> set[str]:
    """Every action an Allow statement names (as written: patterns stay patterns)."""
    out: set[str] = set()
    for statement in (s for d in documents for s in statements(d)):
        if statement.get("Effect") == "Allow":
            actions = statement.get("Action", [])
            out |= set(actions if isinstance(actions, list) else [actions])
    return out


def is_read(action: str) -> bool:
    verb = action.split(":", 1)[1]
    return verb.startswith(READ_VERBS) or action in {"apigateway:GET", "apigateway:HEAD"}


def statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    """A policy document's statements (a single statement may be written without the list)."""
    found = document.get("Statement", [])
    return found if isinstance(found, list) else [found]


def _matches(patterns: Any, action: str) -> bool:
    values = patterns if isinstance(patterns, list) else [patterns]
    return any(fnmatch.fnmatchcase(action.lower(), str(p).lower()) for p in values)


def _resource_matches(patterns: Any, resource: str) -> bool:
    values = patterns if isinstance(patterns, list) else [patterns]
    return any(fnmatch.fnmatchcase(resource, str(p)) for p in values)


def condition_holds(conditions: dict[str, Any], context: Mapping[str, str]) -> bool:
    """StringEquals/StringLike/ArnEquals/ArnLike/Bool on the given request context (keys compared
    case-insensitively, as IAM does); a key the request does not carry makes its condition false, as
    in IAM; any other operator is a ValueError (this evaluator does not know it)."""
    given = {k.lower(): v for k, v in context.items()}
    for operator, pairs in conditions.items():
        for key, expected in pairs.items():
            actual = given.get(key.lower())
            values = [str(v) for v in (expected if isinstance(expected, list) else [expected])]
            if actual is None:
                return False
            if operator in ("StringEquals", "ArnEquals"):
                ok = actual in values
            elif operator in ("StringLike", "ArnLike"):
                ok = any(fnmatch.fnmatchcase(actual, v) for v in values)
            elif operator == "Bool":
                ok = actual.lower() in [v.lower() for v in values]
            else:
                raise ValueError(f"condition operator {operator} is not evaluated here")
            if not ok:
                return False
    return True


def allowed(
    action: str,
    documents: Iterable[dict[str, Any]],
    *,
    resource: str | None = None,
    context: Mapping[str, str] | None = None,
) -> bool:
    """Whether the policies allow the action: an explicit Deny wins, then any Allow.
    Without a resource, statements are judged on actions (and a Deny only when it covers "*");
    without a context, conditions are not evaluated. With them, both are, as IAM does."""
    every = [s for d in documents for s in statements(d)]

    def applies(statement: dict[str, Any]) -> bool:
        if "NotAction" in statement:
            hit = not _matches(statement["NotAction"], action)
        else:
            hit = _matches(statement.get("Action", []), action)
        if hit and resource is not None:
            if "NotResource" in statement:
                hit = not _resource_matches(statement["NotResource"], resource)
            else:
                hit = _resource_matches(statement.get("Resource", []), resource)
        if hit and context is not None and statement.get("Condition"):
            hit = condition_holds(statement["Condition"], context)
        return hit

    def denies(statement: dict[str, Any]) -> bool:
        covers_all = resource is not None or statement.get("Resource") in ("*", ["*"])
        return statement.get("Effect") == "Deny" and covers_all and applies(statement)

    if any(denies(s) for s in every):
        return False
    return any(s.get("Effect") == "Allow" and applies(s) for s in every)


def role_documents(iam: Any, role: str) -> list[dict[str, Any]]:
    """The policy documents of a role as the embedded IAM holds them (attached and inline)."""
    documents = []
    for page in iam.get_paginator("list_attached_role_policies").paginate(RoleName=role):
        for attached in page["AttachedPolicies"]:
            version = iam.get_policy(PolicyArn=attached["PolicyArn"])["Policy"]["DefaultVersionId"]
            documents.append(
                iam.get_policy_version(PolicyArn=attached["PolicyArn"], VersionId=version)["PolicyVersion"]["Document"]
            )
    for page in iam.get_paginator("list_role_policies").paginate(RoleName=role):
        documents += [
            iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"] for name in page["PolicyNames"]
        ]
    return [json.loads(unquote(d)) if isinstance(d, str) else d for d in documents]


def refused(calls: Iterable[Call], documents: list[dict[str, Any]], *, reads_only: bool = False) -> list[str]:
    """What these calls needed that the policies do not allow (or, with reads_only, that is a write)."""
    problems: set[str] = set()
    for call in calls:
        action = iam_action(call)
        if action is None:
            problems.add(f"unmapped call {call.service} {call.operation}")
        elif action in NEEDS_NO_PERMISSION:
            continue
        elif not allowed(action, documents):
            problems.add(f"not allowed: {action}")
        elif reads_only and not is_read(action):
            problems.add(f"a write: {action}")
    return sorted(problems)
