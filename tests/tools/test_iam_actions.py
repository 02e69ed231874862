"""Recorded calls to IAM actions, and the action-level policy evaluation the pipeline-role proof uses."""

from __future__ import annotations

import pytest

from idp.local.calls import Call
from idp.local.iam_actions import allowed, iam_action, is_read, refused


def call(service: str, operation: str, subject: str = "") -> Call:
    return Call("plan", service, operation, 200, subject)


@pytest.mark.parametrize(
    ("recorded", "action"),
    [
        (call("s3", "GET /idp-input?lifecycle="), "s3:GetLifecycleConfiguration"),
        (call("s3", "GET /idp-input?publicAccessBlock="), "s3:GetBucketPublicAccessBlock"),
        (call("s3", "HEAD /idp-input"), "s3:ListBucket"),
        (call("s3", "PUT /idp-input/some/key.json"), "s3:PutObject"),
        (call("s3", "GET /"), "s3:ListAllMyBuckets"),
        (call("lambda", "GET /2015-03-31/functions/idp-fn"), "lambda:GetFunction"),
        (call("lambda", "GET /2015-03-31/functions/idp-fn/versions"), "lambda:ListVersionsByFunction"),
        (call("apigateway", "PUT /restapis/abc/gatewayresponses/DEFAULT_4XX"), "apigateway:PUT"),
        (call("monitoring", "DescribeAlarms"), "cloudwatch:DescribeAlarms"),
        (call("states", "DescribeStateMachine"), "states:DescribeStateMachine"),
        (call("iam", "GetRole", "idp-x"), "iam:GetRole"),
        (call("budgets", "DescribeSubscribersForNotification"), "budgets:ViewBudget"),
        (call("budgets", "CreateBudget"), "budgets:ModifyBudget"),
        (call("budgets", "ListTagsForResource"), "budgets:ListTagsForResource"),
    ],
)
def test_calls_map_to_the_actions_that_authorise_them(recorded: Call, action: str) -> None:
    assert iam_action(recorded) == action


def test_reads_and_writes() -> None:
    assert is_read("s3:GetLifecycleConfiguration")
    assert is_read("apigateway:GET")
    assert is_read("budgets:ViewBudget")
    assert not is_read("budgets:ModifyBudget")
    assert not is_read("s3:PutObject")
    assert not is_read("apigateway:PATCH")


READ_ONLY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["s3:Get*", "kms:Describe*"], "Resource": "*"}],
}
POWER_USER = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "NotAction": ["iam:*", "organizations:*"], "Resource": "*"}],
}
DENY_ALL_IAM = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "iam:*", "Resource": "*"}]}


def test_policy_evaluation_on_actions() -> None:
    assert allowed("s3:GetObject", [READ_ONLY])
    assert not allowed("kms:Decrypt", [READ_ONLY])
    assert allowed("lambda:CreateFunction", [POWER_USER])
    assert not allowed("iam:CreateRole", [POWER_USER])
    stack_roles = {
        "Statement": [{"Effect": "Allow", "Action": ["iam:CreateRole"], "Resource": "arn:aws:iam::1:role/idp-*"}]
    }
    assert allowed("iam:CreateRole", [POWER_USER, stack_roles])
    assert not allowed("iam:CreateRole", [POWER_USER, stack_roles, DENY_ALL_IAM])


def test_refused_names_what_is_missing_what_writes_and_what_cannot_be_mapped() -> None:
    calls = [
        call("s3", "GET /b?lifecycle="),
        call("kms", "Decrypt"),
        call("s3", "PUT /b?tagging="),
        call("s3", "BREW /b"),
        call("sts", "GetCallerIdentity"),
    ]
    writes = {"Statement": [{"Effect": "Allow", "Action": "s3:Put*", "Resource": "*"}]}
    assert refused(calls, [READ_ONLY, writes], reads_only=True) == [
        "a write: s3:PutBucketTagging",
        "not allowed: kms:Decrypt",
        "unmapped call s3 BREW /b",
    ]


def test_resources_and_conditions_are_evaluated_when_given() -> None:
    from idp.local.iam_actions import allowed

    documents = [
        {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "iam:CreateRole",
                    "Resource": "arn:aws:iam::1:role/idp-*",
                    "Condition": {"StringEquals": {"iam:PermissionsBoundary": "arn:aws:iam::1:policy/b"}},
                },
                {"Effect": "Deny", "Action": "iam:*", "Resource": "arn:aws:iam::1:role/idp-platform-dev-apply"},
            ]
        }
    ]
    role = "arn:aws:iam::1:role/idp-dev-x"
    assert allowed(
        "iam:CreateRole", documents, resource=role, context={"iam:PermissionsBoundary": "arn:aws:iam::1:policy/b"}
    )
    assert not allowed("iam:CreateRole", documents, resource=role, context={})  # no boundary: the condition fails
    assert not allowed(
        "iam:CreateRole", documents, resource=role, context={"iam:PermissionsBoundary": "arn:aws:iam::1:policy/c"}
    )
    assert not allowed(
        "iam:CreateRole",
        documents,
        resource="arn:aws:iam::1:role/other",
        context={"iam:PermissionsBoundary": "arn:aws:iam::1:policy/b"},
    )
    apply_role = "arn:aws:iam::1:role/idp-platform-dev-apply"
    assert not allowed(
        "iam:CreateRole", documents, resource=apply_role, context={"iam:PermissionsBoundary": "arn:aws:iam::1:policy/b"}
    )
    assert allowed("iam:CreateRole", documents)  # actions only: conditions and resources not judged
