# The document flow (Standard workflow). The definition is state-machine.asl.json, a real JSON
# file rendered with templatefile(): the local run and the tests load the same file.
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
  task_functions = ["status_updater", "bda_orchestrator", "language_detector", "document_classifier", "schema_extractor"]
  definition = templatefile("${path.module}/state-machine.asl.json", {
    for fn in local.task_functions : "${fn}_arn" => var.function_arns[fn]
  })
}

data "aws_iam_policy_document" "assume_states" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["states.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

data "aws_iam_policy_document" "states" {
  statement {
    sid       = "InvokeTasks"
    actions   = ["lambda:InvokeFunction"]
    resources = [for fn in local.task_functions : var.function_arns[fn]]
  }

  statement {
    sid = "VendedLogDelivery"
    # CloudWatch Logs vended delivery has no resource-level permissions: AWS requires "*".
    actions = [
      "logs:CreateLogDelivery", "logs:DeleteLogDelivery", "logs:DescribeLogGroups", "logs:DescribeResourcePolicies",
      "logs:GetLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:UpdateLogDelivery",
    ]
    resources = ["*"]
  }

  statement {
    sid = "XRay"
    # X-Ray has no resource-level permissions: AWS requires "*".
    actions   = ["xray:GetSamplingRules", "xray:GetSamplingTargets", "xray:PutTelemetryRecords", "xray:PutTraceSegments"]
    resources = ["*"]
  }

  statement {
    sid       = "EncryptedState"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }
}

resource "aws_iam_role" "states" {
  name                 = "${module.names.state_machine}-role"
  assume_role_policy   = data.aws_iam_policy_document.assume_states.json
  path                 = module.names.workload_role_path
  permissions_boundary = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:policy/${module.names.workload_boundary}"
}

resource "aws_iam_role_policy" "states" {
  name   = "least-privilege"
  role   = aws_iam_role.states.id
  policy = data.aws_iam_policy_document.states.json
}

resource "aws_cloudwatch_log_group" "executions" {
  #checkov:skip=CKV_AWS_338:retention is an environment value (live/<env>/env.hcl)
  name              = "/aws/vendedlogs/states/${module.names.state_machine}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

resource "aws_sfn_state_machine" "flow" {
  #checkov:skip=CKV_AWS_285:execution logging is on; execution data is excluded on purpose (documents hold personal data)
  name       = module.names.state_machine
  type       = "STANDARD"
  role_arn   = aws_iam_role.states.arn
  definition = local.definition

  logging_configuration {
    log_destination        = "${aws_cloudwatch_log_group.executions.arn}:*"
    include_execution_data = false # documents' data stays out of logs
    level                  = var.log_level
  }

  tracing_configuration {
    enabled = true
  }

  encryption_configuration {
    type                              = "CUSTOMER_MANAGED_KMS_KEY"
    kms_key_id                        = var.kms_key_arn
    kms_data_key_reuse_period_seconds = 300
  }
}
