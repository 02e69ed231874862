# Alarm topic, alarms (DLQ depth, Lambda errors/throttles, failed executions, API 5xx), dashboard.
data "aws_caller_identity" "current" {}
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
      namespace   = "AWS/SQS", metric = "ApproximateNumberOfMessagesVisible", statistic = "Maximum"
      dimensions  = { QueueName = var.dlq_name }
      threshold   = 0, comparison = "GreaterThanThreshold"
    }
    "executions-failed" = {
      description = "Document flow executions that failed: the flow itself broke (a document that ends FAILED ends its execution successfully)."
      namespace   = "AWS/States", metric = "ExecutionsFailed", statistic = "Sum"
      dimensions  = { StateMachineArn = var.state_machine_arn }
      threshold   = 1, comparison = "GreaterThanOrEqualToThreshold"
    }
    "documents-overdue" = {
      description = "Documents ended FAILED by document_cleanup because they stayed QUEUED or PROCESSING past their deadline: the flow is stuck somewhere (ordinary bad input never ends this way)."
      namespace   = "IDP", metric = "DocumentsOverdue", statistic = "Sum"
      dimensions  = { service = "document_cleanup" }
      threshold   = 1, comparison = "GreaterThanOrEqualToThreshold"
    }
    "api-5xx" = {
      description = "API answered 5xx: a handler bug (bad input is always 4xx)."
      namespace   = "AWS/ApiGateway", metric = "5XXError", statistic = "Sum"
      dimensions  = { ApiName = var.api_name, Stage = var.api_stage }
      threshold   = 1, comparison = "GreaterThanOrEqualToThreshold"
    }
  }
  lambda_alarms = merge(
    { for k, name in var.function_names : "${k}-errors" => { function = name, metric = "Errors" } },
    { for k, name in var.function_names : "${k}-throttles" => { function = name, metric = "Throttles" } },
  )
}

resource "aws_sns_topic" "alarms" {
  name              = module.names.alarm_topic
  kms_master_key_id = var.kms_key_arn
}

resource "aws_sns_topic_subscription" "email" {
  for_each = toset(var.alarm_emails)

  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = each.value
}

resource "aws_cloudwatch_metric_alarm" "lambda" {
  for_each = local.lambda_alarms

  alarm_name          = "${module.names.prefix}-${each.key}"
  alarm_description   = "${each.value.metric} of ${each.value.function}."
  namespace           = "AWS/Lambda"
  metric_name         = each.value.metric
  dimensions          = { FunctionName = each.value.function }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = each.value.metric == "Errors" ? var.lambda_error_threshold : 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "service" {
  for_each = local.service_alarms

  alarm_name          = "${module.names.prefix}-${each.key}"
  alarm_description   = each.value.description
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  dimensions          = each.value.dimensions
  statistic           = each.value.statistic
  period              = 300
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
