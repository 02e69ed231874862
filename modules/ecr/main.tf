# One repository per function in the registry account; images are built once, tagged with the
# commit SHA (IMMUTABLE) and deployed by digest to every account.
data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  is_registry  = data.aws_caller_identity.current.account_id == var.registry_account_id
  repositories = { for fn in var.functions : fn => "${var.project}/${replace(fn, "_", "-")}" }
  registry_url = "${var.registry_account_id}.dkr.ecr.${data.aws_region.current.id}.amazonaws.com"
}

resource "aws_ecr_repository" "function" {
  for_each = local.is_registry ? local.repositories : {}

  name                 = each.value
  image_tag_mutability = "IMMUTABLE"

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = var.kms_key_arn == null ? "AES256" : "KMS"
    kms_key         = var.kms_key_arn
  }
}

resource "aws_ecr_lifecycle_policy" "function" {
  for_each = aws_ecr_repository.function

  repository = each.value.name
  policy = jsonencode({
    # An image a higher-priority rule matches cannot be expired by a lower one: images a release
    # deployed (tagged release-<env>-<commit> by `idp release protect`) are never expired, whatever
    # their age - a rollback always finds them.
    rules = [
      {
        rulePriority = 1
        description  = "Keep every image a release deployed"
        selection    = { tagStatus = "tagged", tagPrefixList = ["release-"], countType = "imageCountMoreThan", countNumber = 9999 }
        action       = { type = "expire" }
      },
      {
        rulePriority = 2
        description  = "Expire untagged images after 7 days"
        selection    = { tagStatus = "untagged", countType = "sinceImagePushed", countUnit = "days", countNumber = 7 }
        action       = { type = "expire" }
      },
      {
        rulePriority = 3
        description  = "Keep the newest ${var.keep_images} images"
        selection    = { tagStatus = "any", countType = "imageCountMoreThan", countNumber = var.keep_images }
        action       = { type = "expire" }
      },
    ]
  })
}

data "aws_iam_policy_document" "pull" {
  count = length(var.pull_account_ids) > 0 ? 1 : 0

  # Lambda in another account pulls with its service principal: both statements are needed.
  statement {
    sid     = "CrossAccountLambdaServicePull"
    actions = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
    condition {
      test     = "StringLike"
      variable = "aws:sourceARN"
      values   = [for id in var.pull_account_ids : "arn:${data.aws_partition.current.partition}:lambda:${data.aws_region.current.id}:${id}:function:*"]
    }
  }

  statement {
    sid     = "CrossAccountPull"
    actions = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    principals {
      type        = "AWS"
      identifiers = [for id in var.pull_account_ids : "arn:${data.aws_partition.current.partition}:iam::${id}:root"]
    }
  }
}

resource "aws_ecr_repository_policy" "function" {
  for_each = length(var.pull_account_ids) > 0 ? aws_ecr_repository.function : {}

  repository = each.value.name
  policy     = data.aws_iam_policy_document.pull[0].json
}
