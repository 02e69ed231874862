# Alarm topic, alarms (per function: error rate, throttles, p95 duration; the flow: DLQ depth, failed
# executions, overdue documents, API 5xx), dashboard. A release's traffic shift stops on any of them.
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
  alarm_actions = compact([aws_sns_topic.alarms.arn, var.oncall_topic_arn])
  service_alarms = {
    "dlq-not-empty" = {
      description = "Messages in the intake DLQ: documents failed intake (dlq_analyzer marks them FAILED)."
      namespace   = "AWS/SQS", metric = "ApproximateNumberOfMessagesVisible", statistic = "Maximum", extended_statistic = null
      dimensions  = { QueueName = var.dlq_name }
      threshold   = 0, comparison = "GreaterThanThreshold"
    }
    "executions-failed" = {
      description = "Document flow executions that failed: the flow itself broke (a document that ends FAILED ends its execution successfully)."
      namespace   = "AWS/States", metric = "ExecutionsFailed", statistic = "Sum", extended_statistic = null
      dimensions  = { StateMachineArn = var.state_machine_arn }
      threshold   = 1, comparison = "GreaterThanOrEqualToThreshold"
    }
    "documents-overdue" = {
      description = "Documents ended FAILED by document_cleanup because they stayed QUEUED or PROCESSING past their deadline: the flow is stuck somewhere (ordinary bad input never ends this way)."
      namespace   = "IDP", metric = "DocumentsOverdue", statistic = "Sum", extended_statistic = null
      dimensions  = { service = "document_cleanup" }
      threshold   = 1, comparison = "GreaterThanOrEqualToThreshold"
    }
    "api-5xx" = {
      description = "API answered 5xx: a handler bug (bad input is always 4xx)."
      namespace   = "AWS/ApiGateway", metric = "5XXError", statistic = "Sum", extended_statistic = null
      dimensions  = { ApiName = var.api_name, Stage = var.api_stage }
      threshold   = 1, comparison = "GreaterThanOrEqualToThreshold"
    }
  }
  # Per function, over every version: throttles, and p95 duration near the timeout. The error rate is
  # its own alarm (metric math). One-minute periods: a release's traffic shift stops on any of them.
  lambda_alarms = merge(
    { for k, name in var.function_names : "${k}-throttles" => {
      namespace   = "AWS/Lambda", dimensions = { FunctionName = name },
      metric      = "Throttles", statistic = "Sum", extended_statistic = null, threshold = 1,
      comparison  = "GreaterThanOrEqualToThreshold",
      description = "Throttles of ${name}: invocations refused for concurrency (work waits or is retried)."
    } },
    { for k, name in var.function_names : "${k}-duration-p95" => {
      namespace   = "AWS/Lambda", dimensions = { FunctionName = name },
      metric      = "Duration", statistic = null, extended_statistic = "p95",
      threshold   = var.function_timeouts[k] * 1000 * var.duration_alarm_fraction,
      comparison  = "GreaterThanThreshold",
      description = "p95 duration of ${name} above ${var.duration_alarm_fraction * 100} % of its ${var.function_timeouts[k]} s timeout."
    } },
  )
}

resource "aws_sns_topic" "alarms" {
  name              = module.names.alarm_topic
  kms_master_key_id = var.kms_key_arn
}

# Who may publish to the (KMS-encrypted) alarm topic: the account, CloudWatch's alarms and AWS Budgets
# (Budgets requires a topic policy naming it; the stack's key lets both services use it, modules/security).
data "aws_iam_policy_document" "alarm_topic" {
  statement {
    sid       = "AccountManages"
    actions   = ["SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:Subscribe", "SNS:ListSubscriptionsByTopic", "SNS:Publish", "SNS:DeleteTopic", "SNS:AddPermission", "SNS:RemovePermission"]
    resources = [aws_sns_topic.alarms.arn]
    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }
  statement {
    sid       = "AlarmsAndBudgetsPublish"
    actions   = ["SNS:Publish"]
    resources = [aws_sns_topic.alarms.arn]
    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com", "budgets.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
  statement {
    sid       = "TlsOnly"
    effect    = "Deny"
    actions   = ["SNS:Publish"]
    resources = [aws_sns_topic.alarms.arn]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_sns_topic_policy" "alarms" {
  arn    = aws_sns_topic.alarms.arn
  policy = data.aws_iam_policy_document.alarm_topic.json
}

# The env's monthly cost budget: an env is one account, so the account's whole cost. Alerts go to the
# alarm topic at 80 % of the limit spent and when the month's forecast passes it. docs/costs.md
# gives the monthly cost per env at a stated volume (idp.costs) to set the limit from.
resource "aws_budgets_budget" "monthly" {
  count = var.monthly_budget_usd == null ? 0 : 1

  # Said, not left to the provider: it takes the account from its own identity lookup, which a
  # provider configured with skip_requesting_account_id does not make (the ID became ":<name>").
  account_id   = data.aws_caller_identity.current.account_id
  name         = "${module.names.prefix}-monthly"
  budget_type  = "COST"
  limit_amount = format("%.2f", var.monthly_budget_usd)
  limit_unit   = "USD"
  time_unit    = "MONTHLY"

  notification {
    comparison_operator       = "GREATER_THAN"
    threshold                 = 80
    threshold_type            = "PERCENTAGE"
    notification_type         = "ACTUAL"
    subscriber_sns_topic_arns = [aws_sns_topic.alarms.arn]
  }

  notification {
    comparison_operator       = "GREATER_THAN"
    threshold                 = 100
    threshold_type            = "PERCENTAGE"
    notification_type         = "FORECASTED"
    subscriber_sns_topic_arns = [aws_sns_topic.alarms.arn]
  }

  depends_on = [aws_sns_topic_policy.alarms]
}

resource "aws_sns_topic_subscription" "email" {
  for_each = toset(var.alarm_emails)

  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = each.value
}

# Errors as a share of invocations (seed 000 section 9.2: roll back above 10 %), every version of the
# function: a bad release at a canary's share may stay under it - `idp traffic shift` also reads the
# new version's own error rate (Lambda's ExecutedVersion metrics) at each step.
resource "aws_cloudwatch_metric_alarm" "error_rate" {
  for_each = var.function_names

  alarm_name          = "${module.names.prefix}-${each.key}-error-rate"
  alarm_description   = "Errors of ${each.value} above ${var.lambda_error_rate_percent} % of its invocations in a minute."
  evaluation_periods  = 1
  threshold           = var.lambda_error_rate_percent
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  metric_query {
    id          = "rate"
    expression  = "IF(invocations > 0, 100 * errors / invocations, 0)"
    label       = "Error rate (%)"
    return_data = true
  }

  dynamic "metric_query" {
    for_each = toset(["Errors", "Invocations"])
    content {
      id = lower(metric_query.value)
      metric {
        namespace   = "AWS/Lambda"
        metric_name = metric_query.value
        dimensions  = { FunctionName = each.value }
        period      = 60
        stat        = "Sum"
      }
    }
  }
}

# Every single-metric alarm: the flow's and each function's (the error rate, metric math, below).
resource "aws_cloudwatch_metric_alarm" "metric" {
  for_each = merge(local.service_alarms, local.lambda_alarms)

  alarm_name          = "${module.names.prefix}-${each.key}"
  alarm_description   = each.value.description
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  dimensions          = each.value.dimensions
  statistic           = each.value.statistic
  extended_statistic  = each.value.extended_statistic
  period              = 60
  evaluation_periods  = 1
  threshold           = each.value.threshold
  comparison_operator = each.value.comparison
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

resource "aws_cloudwatch_dashboard" "this" {
  dashboard_name = module.names.prefix
  dashboard_body = jsonencode({
    widgets = [
      {
        type = "metric", x = 0, y = 0, width = 12, height = 6
        properties = {
          title   = "Lambda errors", region = data.aws_region.current.id, stat = "Sum", period = 300
          metrics = [for name in values(var.function_names) : ["AWS/Lambda", "Errors", "FunctionName", name]]
        }
      },
      {
        type = "metric", x = 12, y = 0, width = 12, height = 6
        properties = {
          title = "Document flow", region = data.aws_region.current.id, stat = "Sum", period = 300
          metrics = [
            ["AWS/States", "ExecutionsSucceeded", "StateMachineArn", var.state_machine_arn],
            ["AWS/States", "ExecutionsFailed", "StateMachineArn", var.state_machine_arn],
          ]
        }
      },
      {
        type = "metric", x = 0, y = 6, width = 12, height = 6
        properties = {
          title   = "Intake DLQ depth", region = data.aws_region.current.id, stat = "Maximum", period = 300
          metrics = [["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", var.dlq_name]]
        }
      },
      {
        type = "metric", x = 12, y = 6, width = 12, height = 6
        properties = {
          title = "API", region = data.aws_region.current.id, stat = "Sum", period = 300
          metrics = [
            ["AWS/ApiGateway", "Count", "ApiName", var.api_name, "Stage", var.api_stage],
            ["AWS/ApiGateway", "4XXError", "ApiName", var.api_name, "Stage", var.api_stage],
            ["AWS/ApiGateway", "5XXError", "ApiName", var.api_name, "Stage", var.api_stage],
          ]
        }
      },
    ]
  })
}
