# Bootstrap: the GitHub OIDC provider and the pipeline's roles (docs/adr/0002).
#  - plan role: read-only + state read + the reads a refresh of the stack makes (a secret version, the
#    stack key through its services); trusted only for main's own _plan.yml (deploy and drift plans).
#  - PR plan role: the state and nothing else - no secret value, no workload data, no key but the
#    state's; trusted for pull requests, whose workflow files the branch itself may have edited. PR
#    plans run `plan -refresh=false` (a diff of the change against the applied state): they read no
#    resource.
#  - apply role: trusted only for `repo:ORG/REPO:environment:<env>`, i.e. a job that names the
#    GitHub environment (which required reviewers gate), running main's _apply.yml. It cannot change
#    its own trust: IAM on the bootstrap roles is denied to it.
data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

module "names" {
  source      = "../naming"
  project     = var.project
  environment = var.environment
  account_id  = data.aws_caller_identity.current.account_id
  region      = data.aws_region.current.id
}

locals {
  subject = coalesce(var.subject_prefix, "repo:${var.github_org}/${var.github_repo}")
  provider_arn = var.create_provider ? aws_iam_openid_connect_provider.github[0].arn : (
    "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:oidc-provider/token.actions.githubusercontent.com"
  )
  role_prefix  = "${var.github_repo}-${var.environment}"
  iam_arn      = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}"
  boundary_arn = "${local.iam_arn}:policy/${module.names.workload_boundary}"
  # The stack's roles: on their own path, where the apply role can make only bounded ones.
  stack_roles    = "${local.iam_arn}:role${module.names.workload_role_path}*"
  push_role_arn  = "${local.iam_arn}:role/${var.github_repo}-image-push"
  partition      = data.aws_partition.current.partition
  account        = data.aws_caller_identity.current.account_id
  arn_any_region = "arn:${data.aws_partition.current.partition}"
}

resource "aws_iam_openid_connect_provider" "github" {
  count = var.create_provider ? 1 : 0

  url            = "https://token.actions.githubusercontent.com"
  client_id_list = ["sts.amazonaws.com"]
}

# The `sub` claims each role trusts, and the workflow files (`job_workflow_ref`: the reusable workflow
# the job runs, at main) - a branch's edited workflow never gets the plan, apply or push role. A pull
# request's workflows are the branch's own: its role's permissions are what protects the env.
locals {
  workflows = "${var.github_org}/${var.github_repo}/.github/workflows"
  trusted_subjects = merge(
    {
      plan    = ["${local.subject}:ref:refs/heads/main"]
      pr_plan = ["${local.subject}:pull_request"]
      apply   = ["${local.subject}:environment:${var.environment}"]
    },
    var.create_image_push_role ? { push = ["${local.subject}:ref:refs/heads/main"] } : {},
  )
  trusted_workflows = merge(
    {
      plan    = ["${local.workflows}/_plan.yml@refs/heads/main"]
      pr_plan = []
      apply   = ["${local.workflows}/_apply.yml@refs/heads/main"]
    },
    var.create_image_push_role ? {
      push = ["${local.workflows}/_build-images.yml@refs/heads/main", "${local.workflows}/_apply.yml@refs/heads/main"]
    } : {},
  )
}

data "aws_iam_policy_document" "trust" {
  for_each = local.trusted_subjects

  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [local.provider_arn]
    }
    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:aud"
      values   = ["sts.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:sub"
      values   = each.value
    }
    dynamic "condition" {
      for_each = length(local.trusted_workflows[each.key]) > 0 ? [local.trusted_workflows[each.key]] : []
      content {
        test     = "StringEquals"
        variable = "token.actions.githubusercontent.com:job_workflow_ref"
        values   = condition.value
      }
    }
  }
}

resource "aws_iam_role" "plan" {
  name                 = "${local.role_prefix}-plan"
  assume_role_policy   = data.aws_iam_policy_document.trust["plan"].json
  max_session_duration = var.max_session_seconds
}

resource "aws_iam_role_policy_attachment" "plan_read_only" {
  role       = aws_iam_role.plan.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/ReadOnlyAccess"
}

# What any plan needs, a pull request's too: the state (read, and its S3-native lock) and its key, and
# the callback key's ephemeral generator, which every plan opens, refreshed or not (a new random
# string, no stored secret).
data "aws_iam_policy_document" "any_plan" {
  statement {
    sid       = "ListState"
    actions   = ["s3:ListBucket"]
    resources = [var.state_bucket_arn]
  }
  statement {
    sid       = "ReadState"
    actions   = ["s3:GetObject"]
    resources = ["${var.state_bucket_arn}/*"]
  }
  statement {
    # Plans take the S3-native lock too (a .tflock object next to the state).
    sid       = "LockState"
    actions   = ["s3:PutObject", "s3:DeleteObject"]
    resources = ["${var.state_bucket_arn}/*.tflock"]
  }
  statement {
    sid       = "StateKey"
    actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
    resources = [var.state_kms_key_arn]
  }
  statement {
    sid       = "PlanEphemeralPassword"
    actions   = ["secretsmanager:GetRandomPassword"]
    resources = ["*"] # an account-level call: no resource to scope it to
  }
}

data "aws_iam_policy_document" "state_access" {
  source_policy_documents = [data.aws_iam_policy_document.any_plan.json]

  # Reads ReadOnlyAccess lacks but a refresh of this stack makes (recorded against the embedded AWS,
  # tests/integration/test_terraform_stack.py): the callback key's secret version is read back.
  statement {
    sid       = "RefreshStackSecrets"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = ["arn:${data.aws_partition.current.partition}:secretsmanager:*:${data.aws_caller_identity.current.account_id}:secret:${var.project}/${var.environment}/*"]
  }
  # Services that return data encrypted with the stack's key (Step Functions definitions, Secrets
  # Manager values, Lambda environments) decrypt it with the caller's kms:Decrypt, through the service.
  statement {
    sid       = "DecryptThroughStackServices"
    actions   = ["kms:Decrypt"]
    resources = ["arn:${data.aws_partition.current.partition}:kms:*:${data.aws_caller_identity.current.account_id}:key/*"]
    condition {
      test     = "StringLike"
      variable = "kms:ViaService"
      values   = ["states.*.amazonaws.com", "secretsmanager.*.amazonaws.com", "lambda.*.amazonaws.com"]
    }
  }
}

resource "aws_iam_role_policy" "plan_state" {
  name   = "terraform-state-read"
  role   = aws_iam_role.plan.id
  policy = data.aws_iam_policy_document.state_access.json
}

# --- PR plan role: the applied state, nothing else ------------------------------------------------
resource "aws_iam_role" "pr_plan" {
  name                 = "${local.role_prefix}-pr-plan"
  assume_role_policy   = data.aws_iam_policy_document.trust["pr_plan"].json
  max_session_duration = var.max_session_seconds
}

data "aws_iam_policy_document" "pr_plan" {
  source_policy_documents = [data.aws_iam_policy_document.any_plan.json]

  # Whatever else is attached to it later: never a secret value, never another key's data.
  statement {
    sid           = "NeverSecrets"
    effect        = "Deny"
    actions       = ["secretsmanager:GetSecretValue", "ssm:GetParameter*", "kms:Decrypt", "kms:ReEncrypt*"]
    not_resources = [var.state_kms_key_arn]
  }
}

resource "aws_iam_role_policy" "pr_plan" {
  name   = "terraform-state-only"
  role   = aws_iam_role.pr_plan.id
  policy = data.aws_iam_policy_document.pr_plan.json
}

resource "aws_iam_role" "apply" {
  name                 = "${local.role_prefix}-apply"
  assume_role_policy   = data.aws_iam_policy_document.trust["apply"].json
  max_session_duration = var.max_session_seconds
}

resource "aws_iam_role_policy_attachment" "apply" {
  for_each = toset(var.apply_policy_arns)

  role       = aws_iam_role.apply.name
  policy_arn = each.value
}

data "aws_iam_policy_document" "apply_extra" {
  statement {
    sid       = "WriteState"
    actions   = ["s3:ListBucket", "s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = [var.state_bucket_arn, "${var.state_bucket_arn}/*"]
  }
  statement {
    sid       = "StateKey"
    actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
    resources = [var.state_kms_key_arn]
  }
  # The stack's own roles (functions, state machine, API logging); PowerUserAccess excludes IAM.
  # Every role it creates or gives permissions to carries the workload boundary: whatever a policy
  # grants, such a role can never reach IAM, STS or any service the stack does not use - creating
  # a role and attaching AdministratorAccess to it is no way to admin.
  statement {
    sid = "StackRolesOnlyWithTheBoundary"
    actions = [
      "iam:CreateRole", "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:AttachRolePolicy",
      "iam:DetachRolePolicy", "iam:PutRolePermissionsBoundary",
    ]
    resources = [local.stack_roles]
    condition {
      test     = "StringEquals"
      variable = "iam:PermissionsBoundary"
      values   = [local.boundary_arn]
    }
  }
  statement {
    sid = "ManageStackRoles"
    actions = [
      "iam:DeleteRole", "iam:GetRole", "iam:TagRole", "iam:UntagRole", "iam:UpdateRole", "iam:GetRolePolicy",
      "iam:ListRolePolicies", "iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole",
    ]
    resources = [local.stack_roles]
  }
  # IAM has no boundary condition key for these two, so they are tied to the boundary through the
  # path: every role the apply role can make on it carries the boundary (above), it can never lift
  # one (below), and no other role is on it (the bootstrap makes the pipeline's roles on "/"). A role
  # is passed only to the services that run the stack.
  statement {
    sid       = "RetrustBoundedRoles"
    actions   = ["iam:UpdateAssumeRolePolicy"]
    resources = [local.stack_roles]
  }
  statement {
    sid       = "PassBoundedRolesToTheStack"
    actions   = ["iam:PassRole"]
    resources = [local.stack_roles]
    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["lambda.amazonaws.com", "states.amazonaws.com", "apigateway.amazonaws.com"]
    }
  }
  statement {
    sid       = "ReadTheBoundary"
    actions   = ["iam:GetPolicy", "iam:GetPolicyVersion"]
    resources = [local.boundary_arn]
  }
  statement {
    # The pipeline's own identities match the stack's name pattern (<repo>-<env>-apply, ...): no
    # change to any of them, their trust, the OIDC provider or the boundary, ever.
    sid       = "NeverThePipeline"
    effect    = "Deny"
    actions   = ["iam:*"]
    resources = [aws_iam_role.apply.arn, aws_iam_role.plan.arn, aws_iam_role.pr_plan.arn, local.push_role_arn, local.provider_arn, local.boundary_arn]
  }
  statement {
    sid       = "NeverLiftTheBoundary"
    effect    = "Deny"
    actions   = ["iam:DeleteRolePermissionsBoundary"]
    resources = ["*"]
  }
  # Deployment audit records are locked (modules/storage); the role that writes them never unlocks one.
  statement {
    sid       = "NeverUnlockAuditRecords"
    effect    = "Deny"
    actions   = ["s3:BypassGovernanceRetention", "s3:PutObjectLegalHold"]
    resources = ["*"]
  }
}

# The most any stack role may do (its permissions boundary): the services the functions, the state
# machine and API Gateway's logging use, on this env's resources only (the naming module's prefix) -
# nothing of IAM, STS or Organizations, not the state bucket, not another env's data.
data "aws_iam_policy_document" "workload_boundary" {
  statement {
    sid     = "StackData"
    actions = ["s3:*", "dynamodb:*", "sqs:*", "states:*", "lambda:InvokeFunction"]
    resources = [
      "arn:${local.partition}:s3:::${module.names.prefix}-*",
      "arn:${local.partition}:s3:::${module.names.prefix}-*/*",
      "${local.arn_any_region}:dynamodb:*:${local.account}:table/${module.names.prefix}-*",
      "${local.arn_any_region}:sqs:*:${local.account}:${module.names.prefix}-*",
      "${local.arn_any_region}:states:*:${local.account}:stateMachine:${module.names.prefix}-*",
      "${local.arn_any_region}:states:*:${local.account}:execution:${module.names.prefix}-*:*",
      "${local.arn_any_region}:lambda:*:${local.account}:function:${module.names.prefix}-*",
    ]
  }
  statement {
    sid     = "StackSettingsAndKeys"
    actions = ["ssm:GetParameter", "ssm:GetParameters", "secretsmanager:GetSecretValue", "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
    resources = [
      "${local.arn_any_region}:ssm:*:${local.account}:parameter/${var.project}/${var.environment}/*",
      "${local.arn_any_region}:secretsmanager:*:${local.account}:secret:${var.project}/${var.environment}/*",
      "${local.arn_any_region}:kms:*:${local.account}:key/*",
    ]
  }
  statement {
    sid       = "DocumentAutomation"
    actions   = ["bedrock:InvokeDataAutomationAsync", "bedrock:GetDataAutomationStatus"]
    resources = ["${local.arn_any_region}:bedrock:*:${local.account}:*"]
  }
  statement {
    sid       = "Logs"
    actions   = ["logs:*"]
    resources = ["${local.arn_any_region}:logs:*:${local.account}:*"]
  }
  statement {
    # Calls with no resource to scope them to: trace segments, metrics, Step Functions' log delivery.
    sid = "Telemetry"
    actions = [
      "xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets",
      "cloudwatch:PutMetricData", "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery",
      "logs:DeleteLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies",
      "logs:DescribeLogGroups",
    ]
    resources = ["*"]
  }
}

resource "aws_iam_policy" "workload_boundary" {
  name        = module.names.workload_boundary
  description = "Permissions boundary of every role the pipeline's apply role creates."
  policy      = data.aws_iam_policy_document.workload_boundary.json
}

resource "aws_iam_role_policy" "apply_extra" {
  name   = "terraform-apply"
  role   = aws_iam_role.apply.id
  policy = data.aws_iam_policy_document.apply_extra.json
}

# --- image push role (registry account only): main-branch builds push to ECR ----------------
resource "aws_iam_role" "push" {
  count = var.create_image_push_role ? 1 : 0

  name                 = "${var.github_repo}-image-push"
  assume_role_policy   = data.aws_iam_policy_document.trust["push"].json
  max_session_duration = var.max_session_seconds
}

data "aws_iam_policy_document" "push" {
  count = var.create_image_push_role ? 1 : 0

  statement {
    sid       = "Login"
    actions   = ["ecr:GetAuthorizationToken"] # account-level call: AWS requires "*"
    resources = ["*"]
  }
  statement {
    sid = "PushAndCheck"
    actions = [
      "ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:CompleteLayerUpload", "ecr:DescribeImages",
      "ecr:DescribeImageScanFindings", "ecr:GetDownloadUrlForLayer", "ecr:InitiateLayerUpload", "ecr:PutImage",
      "ecr:UploadLayerPart",
    ]
    resources = ["arn:${data.aws_partition.current.partition}:ecr:*:${data.aws_caller_identity.current.account_id}:repository/${var.ecr_repository_prefix}/*"]
  }
}

resource "aws_iam_role_policy" "push" {
  count = var.create_image_push_role ? 1 : 0

  name   = "ecr-push"
  role   = aws_iam_role.push[0].id
  policy = data.aws_iam_policy_document.push[0].json
}
