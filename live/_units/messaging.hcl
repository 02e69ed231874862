# Unit definition shared by live/<env>/<region>/messaging.
locals {
  env     = read_terragrunt_config(find_in_parent_folders("env.hcl")).locals
  region  = read_terragrunt_config(find_in_parent_folders("region.hcl")).locals
  account = read_terragrunt_config(find_in_parent_folders("account.hcl")).locals
}

terraform {
  source = "${get_repo_root()}/modules//messaging"
}

dependency "security" {
  config_path = "../security"
  mock_outputs = {
    kms_key_arn = "arn:aws:kms:${local.region.aws_region}:${local.account.account_id}:key/mock"
  }
  mock_outputs_allowed_terraform_commands = ["validate", "plan"]
  mock_outputs_merge_strategy_with_state  = "shallow"
}

dependency "storage" {
  config_path = "../storage"
  mock_outputs = {
    input_bucket_name = "mock-input-bucket"
    input_bucket_arn  = "arn:aws:s3:::mock-input-bucket"
  }
  mock_outputs_allowed_terraform_commands = ["validate", "plan"]
  mock_outputs_merge_strategy_with_state  = "shallow"
}

inputs = {
  kms_key_arn                       = dependency.security.outputs.kms_key_arn
  input_bucket_name                 = dependency.storage.outputs.input_bucket_name
  input_bucket_arn                  = dependency.storage.outputs.input_bucket_arn
  consumer_timeout_seconds          = local.env.functions.sqs_poller.timeout
  bda_consumer_timeout_seconds      = local.env.functions.bda_orchestrator.timeout
  callback_consumer_timeout_seconds = local.env.functions.status_updater.timeout
  callback_max_attempts             = local.env.callback_max_attempts
}
