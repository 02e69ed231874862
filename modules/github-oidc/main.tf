# Bootstrap: the GitHub OIDC provider and two roles.
#  - plan role: read-only + state read; trusted for pull requests and main of this repository.
#  - apply role: trusted only for `repo:ORG/REPO:environment:<env>`, i.e. a job that names the
#    GitHub environment (which required reviewers gate). It cannot change its own trust: IAM on
#    the bootstrap roles is denied to it.
data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  subject = coalesce(var.subject_prefix, "repo:${var.github_org}/${var.github_repo}")
  provider_arn = var.create_provider ? aws_iam_openid_connect_provider.github[0].arn : (
    "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:oidc-provider/token.actions.githubusercontent.com"
  )
  role_prefix = "${var.github_repo}-${var.environment}"
}

resource "aws_iam_openid_connect_provider" "github" {
  count = var.create_provider ? 1 : 0

  url            = "https://token.actions.githubusercontent.com"
  client_id_list = ["sts.amazonaws.com"]
}

# The `sub` claims each role trusts: the only difference between their trust policies.
locals {
  trusted_subjects = merge(
    {
      plan  = ["${local.subject}:pull_request", "${local.subject}:ref:refs/heads/main"]
      apply = ["${local.subject}:environment:${var.environment}"]
    },
    var.create_image_push_role ? { push = ["${local.subject}:ref:refs/heads/main"] } : {},
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

data "aws_iam_policy_document" "state_access" {
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
}

resource "aws_iam_role_policy" "plan_state" {
  name   = "terraform-state-read"
  role   = aws_iam_role.plan.id
  policy = data.aws_iam_policy_document.state_access.json
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
  statement {
    # The stack's own roles (functions, state machine, API logging); PowerUserAccess excludes IAM.
    sid = "ManageStackRoles"
    actions = [
      "iam:CreateRole", "iam:DeleteRole", "iam:GetRole", "iam:TagRole", "iam:UntagRole", "iam:UpdateRole",
      "iam:UpdateAssumeRolePolicy", "iam:PutRolePolicy", "iam:GetRolePolicy", "iam:DeleteRolePolicy",
      "iam:ListRolePolicies", "iam:ListAttachedRolePolicies", "iam:AttachRolePolicy", "iam:DetachRolePolicy",
      "iam:ListInstanceProfilesForRole", "iam:PassRole",
    ]
    resources = ["arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:role/idp-*"]
  }
  statement {
    sid     = "NeverItsOwnTrust"
    effect  = "Deny"
    actions = ["iam:*"]
    resources = [
      aws_iam_role.apply.arn,
      aws_iam_role.plan.arn,
      local.provider_arn,
    ]
  }
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
