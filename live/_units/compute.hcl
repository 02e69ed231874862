# Unit definition shared by live/<env>/<region>/compute. Image digests come from the pipeline
# (IDP_IMAGE_DIGESTS, a JSON map function -> sha256:...): every env deploys the same digests.
locals {
  env     = read_terragrunt_config(find_in_parent_folders("env.hcl")).locals
  region  = read_terragrunt_config(find_in_parent_folders("region.hcl")).locals
  account = read_terragrunt_config(find_in_parent_folders("account.hcl")).locals
  arn     = "arn:aws"
  where   = "${local.region.aws_region}:${local.account.account_id}"
  mock_fn = { for fn in keys(local.env.functions) : fn => "${local.arn}:iam::${local.account.account_id}:role/mock-${replace(fn, "_", "-")}" }
}

terraform {
  source = "${get_repo_root()}/modules//compute"
}

dependency "security" {
  config_path = "../security"
  mock_outputs = {
    kms_key_arn        = "${local.arn}:kms:${local.where}:key/mock"
    function_role_arns = local.mock_fn
    bda_profile_arn    = "${local.arn}:bedrock:${local.where}:data-automation-profile/mock"
  }
  mock_outputs_allowed_terraform_commands = ["validate", "plan"]
  mock_outputs_merge_strategy_with_state  = "shallow"
}

dependency "storage" {
  config_path = "../storage"
  mock_outputs = {
    bucket_names         = { input = "mock-input", output = "mock-output", config = "mock-config", audit = "mock-audit", "access-logs" = "mock-logs" }
    documents_table_name = "mock-documents"
    config_table_name    = "mock-config-cache"
  }
  mock_outputs_allowed_terraform_commands = ["validate", "plan"]
  mock_outputs_merge_strategy_with_state  = "shallow"
}

dependency "messaging" {
  config_path = "../messaging"
  mock_outputs = {
    intake_queue_arn     = "${local.arn}:sqs:${local.where}:mock-intake"
    intake_queue_url     = "https://sqs.${local.region.aws_region}.amazonaws.com/${local.account.account_id}/mock-intake"
    dlq_url              = "https://sqs.${local.region.aws_region}.amazonaws.com/${local.account.account_id}/mock-intake-dlq"
    bda_events_queue_arn = "${local.arn}:sqs:${local.where}:mock-bda-events"
    callbacks_queue_arn  = "${local.arn}:sqs:${local.where}:mock-callbacks"
    callbacks_queue_url  = "https://sqs.${local.region.aws_region}.amazonaws.com/${local.account.account_id}/mock-callbacks"
  }
  mock_outputs_allowed_terraform_commands = ["validate", "plan"]
  mock_outputs_merge_strategy_with_state  = "shallow"
}

dependency "ecr" {
  config_path = "../ecr"
  mock_outputs = {
    repository_urls = { for fn in keys(local.env.functions) : fn => "${local.account.account_id}.dkr.ecr.${local.region.aws_region}.amazonaws.com/idp/mock-${replace(fn, "_", "-")}" }
  }
  mock_outputs_allowed_terraform_commands = ["validate", "plan"]
  mock_outputs_merge_strategy_with_state  = "shallow"
}

inputs = {
  functions             = local.env.functions
  image_digests         = jsondecode(get_env("IDP_IMAGE_DIGESTS", "{}"))
  repository_urls       = dependency.ecr.outputs.repository_urls
  role_arns             = dependency.security.outputs.function_role_arns
  kms_key_arn           = dependency.security.outputs.kms_key_arn
  bda_profile_arn       = dependency.security.outputs.bda_profile_arn
  bucket_names          = dependency.storage.outputs.bucket_names
  documents_table_name  = dependency.storage.outputs.documents_table_name
  config_table_name     = dependency.storage.outputs.config_table_name
  intake_queue_arn      = dependency.messaging.outputs.intake_queue_arn
  intake_queue_url      = dependency.messaging.outputs.intake_queue_url
  dlq_url               = dependency.messaging.outputs.dlq_url
  bda_events_queue_arn  = dependency.messaging.outputs.bda_events_queue_arn
  callbacks_queue_arn   = dependency.messaging.outputs.callbacks_queue_arn
  callbacks_queue_url   = dependency.messaging.outputs.callbacks_queue_url
  callback_max_attempts = local.env.callback_max_attempts
  log_retention_days    = local.env.log_retention_days
  bda_max_in_flight     = local.env.bda_max_in_flight
  enable_xray_tracing   = local.env.enable_xray_tracing
  xray_sdk_subsegments  = local.env.xray_sdk_subsegments
}
