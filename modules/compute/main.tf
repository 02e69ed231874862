# The nine functions (container images by digest), their log groups, the SQS event source
# mappings (intake -> sqs_poller, BDA job-ended events -> bda_orchestrator), the schedules, and the callback signing secret.
data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

module "names" {
  source      = "../naming"
  project     = var.project
  environment = var.environment
  account_id  = data.aws_caller_identity.current.account_id
  region      = data.aws_region.current.id
}

locals {
  state_machine_arn = "arn:${data.aws_partition.current.partition}:states:${data.aws_region.current.id}:${data.aws_caller_identity.current.account_id}:stateMachine:${module.names.state_machine}"

  # Every value a function may be given; each function gets only the keys its settings model
  # requires (lambdas/idp_common/settings.py; tests/infra/test_cross_layer.py keeps them equal).
  env_values = {
    DOCUMENTS_TABLE              = var.documents_table_name
    CONFIG_TABLE                 = var.config_table_name
    CONFIG_VERSION_PARAMETER     = module.names.config_version_parameter
    INPUT_BUCKET                 = var.bucket_names["input"]
    OUTPUT_BUCKET                = var.bucket_names["output"]
    UPLOAD_EXPIRY_SECONDS        = tostring(var.upload_expiry_seconds)
    RESULT_URL_EXPIRY_SECONDS    = tostring(var.result_url_expiry_seconds)
    STATE_MACHINE_ARN            = local.state_machine_arn
    BDA_DEADLINE_SECONDS         = tostring(var.bda_deadline_seconds)
    BDA_MAX_IN_FLIGHT            = tostring(var.bda_max_in_flight)
    QUEUED_DEADLINE_SECONDS      = tostring(var.queued_deadline_seconds)
    PROCESSING_DEADLINE_SECONDS  = tostring(var.processing_deadline_seconds)
    BDA_PROJECT_PARAMETER        = module.names.bda_project_parameter
    BDA_PROFILE_ARN              = var.bda_profile_arn
    BDA_STAGE                    = var.bda_stage
    CALLBACK_SECRET_ID           = aws_secretsmanager_secret.callback.arn
    CALLBACK_TIMEOUT_SECONDS     = tostring(var.callback_timeout_seconds)
    CALLBACK_QUEUE_URL           = var.callbacks_queue_url
    CALLBACK_MAX_ATTEMPTS        = tostring(var.callback_max_attempts)
    CALLBACK_RETRY_BASE_SECONDS  = tostring(var.callback_retry_base_seconds)
    CALLBACK_ALLOW_HTTP_LOOPBACK = tostring(var.callback_allow_http_loopback)
    RETENTION_DAYS               = tostring(var.default_retention_days)
    DLQ_URL                      = var.dlq_url
    INPUT_QUEUE_URL              = var.intake_queue_url
  }

  function_env_keys = {
    presigned_url_generator = ["CALLBACK_ALLOW_HTTP_LOOPBACK", "CONFIG_TABLE", "CONFIG_VERSION_PARAMETER", "DOCUMENTS_TABLE", "INPUT_BUCKET", "OUTPUT_BUCKET", "RESULT_URL_EXPIRY_SECONDS", "UPLOAD_EXPIRY_SECONDS"]
    sqs_poller              = ["BDA_DEADLINE_SECONDS", "CALLBACK_QUEUE_URL", "CONFIG_TABLE", "CONFIG_VERSION_PARAMETER", "DOCUMENTS_TABLE", "STATE_MACHINE_ARN"]
    bda_orchestrator        = ["BDA_MAX_IN_FLIGHT", "BDA_PROFILE_ARN", "BDA_PROJECT_PARAMETER", "BDA_STAGE", "DOCUMENTS_TABLE", "OUTPUT_BUCKET"]
    language_detector       = ["CONFIG_TABLE", "CONFIG_VERSION_PARAMETER"]
    document_classifier     = ["CONFIG_TABLE", "CONFIG_VERSION_PARAMETER"]
    schema_extractor        = ["CONFIG_TABLE", "CONFIG_VERSION_PARAMETER", "OUTPUT_BUCKET"]
    status_updater          = ["CALLBACK_ALLOW_HTTP_LOOPBACK", "CALLBACK_MAX_ATTEMPTS", "CALLBACK_QUEUE_URL", "CALLBACK_RETRY_BASE_SECONDS", "CALLBACK_SECRET_ID", "CALLBACK_TIMEOUT_SECONDS", "DOCUMENTS_TABLE"]
    document_cleanup        = ["CALLBACK_QUEUE_URL", "PROCESSING_DEADLINE_SECONDS", "QUEUED_DEADLINE_SECONDS", "STATE_MACHINE_ARN", "CONFIG_TABLE", "CONFIG_VERSION_PARAMETER", "DOCUMENTS_TABLE", "INPUT_BUCKET", "OUTPUT_BUCKET", "RETENTION_DAYS", "UPLOAD_EXPIRY_SECONDS"]
    dlq_analyzer            = ["CALLBACK_QUEUE_URL", "DLQ_URL", "DOCUMENTS_TABLE", "INPUT_QUEUE_URL"]
  }

  scheduled = {
    document_cleanup = var.cleanup_schedule
    dlq_analyzer     = var.dlq_analyzer_schedule
  }
}

# --- callback signing secret (value generated ephemerally: never in state or plan) ----------
ephemeral "aws_secretsmanager_random_password" "callback" {
  password_length     = 48
  exclude_punctuation = true
}

resource "aws_secretsmanager_secret" "callback" {
  #checkov:skip=CKV2_AWS_57:rotating the signing key needs the callback receivers to switch too: bump secret_string_wo_version in a planned change
  name        = module.names.callback_secret
  description = "HMAC-SHA256 key that signs document callbacks (X-IDP-Signature). Share it with callback receivers."
  kms_key_id  = var.kms_key_arn
}

resource "aws_secretsmanager_secret_version" "callback" {
  secret_id                = aws_secretsmanager_secret.callback.id
  secret_string_wo         = ephemeral.aws_secretsmanager_random_password.callback.random_password
  secret_string_wo_version = 1 # bump to rotate
}

# --- functions -------------------------------------------------------------------------------
resource "aws_cloudwatch_log_group" "function" {
  for_each = var.functions
  #checkov:skip=CKV_AWS_338:retention is an environment value (live/<env>/env.hcl): 7 days in dev, 90 in prod

  name              = "/aws/lambda/${module.names.functions[each.key]}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

resource "aws_lambda_function" "this" {
  for_each = var.functions
  #checkov:skip=CKV_AWS_272:code signing applies to .zip packages only; images are pinned by digest and scanned on push
  #checkov:skip=CKV_AWS_117:the functions call only AWS APIs and https callbacks; a VPC would add NAT cost and no isolation
  #checkov:skip=CKV_AWS_116:no function is invoked asynchronously with a payload to lose: API/Step Functions/SQS are synchronous and the schedules carry none

  function_name                  = module.names.functions[each.key]
  publish                        = true # a version per change: callers invoke the `live` alias, never $LATEST
  role                           = var.role_arns[each.key]
  package_type                   = "Image"
  image_uri                      = "${var.repository_urls[each.key]}@${var.image_digests[each.key]}"
  architectures                  = ["arm64"]
  memory_size                    = each.value.memory_size
  timeout                        = each.value.timeout
  reserved_concurrent_executions = each.value.reserved_concurrency
  kms_key_arn                    = var.kms_key_arn

  environment {
    variables = merge(
      { for key in local.function_env_keys[each.key] : key => local.env_values[key] },
      {
        POWERTOOLS_SERVICE_NAME      = each.key
        POWERTOOLS_METRICS_NAMESPACE = "IDP"
        POWERTOOLS_TRACE_DISABLED    = tostring(!var.xray_sdk_subsegments)
      },
    )
  }

  tracing_config {
    mode = var.enable_xray_tracing ? "Active" : "PassThrough"
  }

  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.function[each.key].name
    # AWS's defaults for JSON logs, said explicitly: left unset, the provider sees them change on every
    # plan and, with publish, plans a new version each time. System INFO keeps the REPORT lines.
    application_log_level = "INFO"
    system_log_level      = "INFO"
  }

  depends_on = [aws_cloudwatch_log_group.function]
}

# The alias every caller invokes - the SQS event source mappings, the schedules, the state machine's
# tasks and the API's integration - so what runs is always a published, immutable version. Terraform
# creates it on the first version and publishes the later ones; moving it is the traffic shift's
# (`idp traffic shift` after the apply, docs/adr/0004): Terraform ignores the version, the weights and
# the description the shift writes, so a plan never undoes a shift or a rollback.
resource "aws_lambda_alias" "live" {
  for_each = var.functions

  name             = "live"
  description      = "The version every caller invokes."
  function_name    = aws_lambda_function.this[each.key].function_name
  function_version = aws_lambda_function.this[each.key].version

  lifecycle {
    ignore_changes = [function_version, routing_config, description]
  }
}

resource "aws_lambda_event_source_mapping" "intake" {
  event_source_arn                   = var.intake_queue_arn
  function_name                      = aws_lambda_alias.live["sqs_poller"].arn
  batch_size                         = 10
  maximum_batching_window_in_seconds = 5
  function_response_types            = ["ReportBatchItemFailures"]

  scaling_config {
    maximum_concurrency = var.poller_max_concurrency
  }
}

# BDA's job-ended events resume the executions waiting for them (bda_orchestrator, task tokens).
resource "aws_lambda_event_source_mapping" "bda_events" {
  event_source_arn        = var.bda_events_queue_arn
  function_name           = aws_lambda_alias.live["bda_orchestrator"].arn
  batch_size              = 10
  function_response_types = ["ReportBatchItemFailures"]
}

# Queued callbacks, delivered by status_updater (retries and backoff: idp_common.callback_queue).
resource "aws_lambda_event_source_mapping" "callbacks" {
  event_source_arn        = var.callbacks_queue_arn
  function_name           = aws_lambda_alias.live["status_updater"].arn
  batch_size              = 10
  function_response_types = ["ReportBatchItemFailures"]
}

resource "aws_cloudwatch_event_rule" "schedule" {
  for_each = local.scheduled

  name                = "${module.names.functions[each.key]}-schedule"
  description         = "Runs ${each.key} on a schedule."
  schedule_expression = each.value
}

resource "aws_cloudwatch_event_target" "schedule" {
  for_each = local.scheduled

  rule = aws_cloudwatch_event_rule.schedule[each.key].name
  arn  = aws_lambda_alias.live[each.key].arn
}

resource "aws_lambda_permission" "schedule" {
  for_each = local.scheduled

  statement_id  = "AllowEventBridgeSchedule"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this[each.key].function_name
  qualifier     = aws_lambda_alias.live[each.key].name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.schedule[each.key].arn
}
