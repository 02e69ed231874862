# Resource names, built once. tools/idp/naming.py builds the same names for the local run
# (tests/infra/test_naming.py checks the two agree).
locals {
  prefix = "${var.project}-${var.environment}"

  buckets = {
    for purpose in ["input", "output", "config", "audit", "access-logs"] :
    purpose => "${local.prefix}-${purpose}-${var.account_id}-${var.region}"
  }

  functions = {
    for name in var.functions : name => "${local.prefix}-${replace(name, "_", "-")}"
  }

  documents_table          = "${local.prefix}-documents"
  config_table             = "${local.prefix}-config-cache"
  intake_queue             = "${local.prefix}-intake"
  intake_dlq               = "${local.prefix}-intake-dlq"
  bda_events_queue         = "${local.prefix}-bda-events"
  bda_events_dlq           = "${local.prefix}-bda-events-dlq"
  bda_events_rule          = "${local.prefix}-bda-job-ended"
  callbacks_queue          = "${local.prefix}-callbacks"
  callbacks_dlq            = "${local.prefix}-callbacks-dlq"
  state_machine            = "${local.prefix}-document-flow"
  config_version_parameter = "/${var.project}/${var.environment}/config-version"
  callback_secret          = "${var.project}/${var.environment}/callback-signing-secret"
  bda_project              = "${local.prefix}-documents"
  bda_project_parameter    = "/${var.project}/${var.environment}/bda-project-arn"
  api                      = "${local.prefix}-api"
  alarm_topic              = "${local.prefix}-alarms"
  workload_boundary        = "${local.prefix}-workload-boundary"
  # Every stack role lives on this IAM path, and only roles with the workload boundary can be made
  # there by the pipeline: what the apply role may pass or re-trust is what the path holds.
  workload_role_path = "/${local.prefix}/"
}
