output "prefix" {
  description = "<project>-<environment>."
  value       = local.prefix
}

output "buckets" {
  description = "S3 bucket names by purpose (input, output, config, audit, access-logs)."
  value       = local.buckets
}

output "functions" {
  description = "Lambda function names by key."
  value       = local.functions
}

output "documents_table" {
  description = "Documents DynamoDB table name."
  value       = local.documents_table
}

output "config_table" {
  description = "Config-cache DynamoDB table name."
  value       = local.config_table
}

output "intake_queue" {
  description = "Intake SQS queue name."
  value       = local.intake_queue
}

output "intake_dlq" {
  description = "Intake dead-letter queue name."
  value       = local.intake_dlq
}

output "bda_events_queue" {
  description = "SQS queue of BDA's job-ended events (EventBridge -> bda_orchestrator)."
  value       = local.bda_events_queue
}

output "bda_events_dlq" {
  description = "Dead-letter queue of the BDA events queue."
  value       = local.bda_events_dlq
}

output "bda_events_rule" {
  description = "EventBridge rule that routes BDA's job-ended events to the BDA events queue."
  value       = local.bda_events_rule
}

output "callbacks_queue" {
  description = "SQS queue of document callbacks (delivered by status_updater)."
  value       = local.callbacks_queue
}

output "callbacks_dlq" {
  description = "Dead-letter queue of callbacks never delivered."
  value       = local.callbacks_dlq
}

output "state_machine" {
  description = "Step Functions state machine name."
  value       = local.state_machine
}

output "config_version_parameter" {
  description = "SSM parameter that holds the published doc-config version."
  value       = local.config_version_parameter
}

output "bda_project_parameter" {
  description = "SSM parameter where `idp configs publish` puts the BDA project's ARN (bda_orchestrator reads it)."
  value       = local.bda_project_parameter
}

output "callback_secret" {
  description = "Secrets Manager secret name of the callback signing key."
  value       = local.callback_secret
}

output "bda_project" {
  description = "Bedrock Data Automation project name."
  value       = local.bda_project
}

output "api" {
  description = "API Gateway REST API name."
  value       = local.api
}

output "alarm_topic" {
  description = "SNS topic name for alarms."
  value       = local.alarm_topic
}

output "workload_boundary" {
  description = "Managed policy every stack role is bounded by (created at bootstrap by modules/github-oidc)."
  value       = local.workload_boundary
}

output "workload_role_path" {
  description = "IAM path of every stack role (the apply role creates, passes and re-trusts roles there only)."
  value       = local.workload_role_path
}
