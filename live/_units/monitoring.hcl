# Unit definition shared by live/<env>/<region>/monitoring.
locals {
  env     = read_terragrunt_config(find_in_parent_folders("env.hcl")).locals
  region  = read_terragrunt_config(find_in_parent_folders("region.hcl")).locals
  account = read_terragrunt_config(find_in_parent_folders("account.hcl")).locals
  where   = "${local.region.aws_region}:${local.account.account_id}"
}

terraform {
  source = "${get_repo_root()}/modules//monitoring"
}

dependency "security" {
  config_path = "../security"
  mock_outputs = {
    kms_key_arn = "arn:aws:kms:${local.where}:key/mock"
  }
  mock_outputs_allowed_terraform_commands = ["validate", "plan"]
  mock_outputs_merge_strategy_with_state  = "shallow"
}

dependency "messaging" {
  config_path = "../messaging"
  mock_outputs = {
    dlq_name = "mock-intake-dlq"
  }
  mock_outputs_allowed_terraform_commands = ["validate", "plan"]
  mock_outputs_merge_strategy_with_state  = "shallow"
}

dependency "compute" {
  config_path = "../compute"
  mock_outputs = {
    function_names = { for fn in keys(local.env.functions) : fn => "mock-${replace(fn, "_", "-")}" }
  }
  mock_outputs_allowed_terraform_commands = ["validate", "plan"]
  mock_outputs_merge_strategy_with_state  = "shallow"
}

dependency "orchestration" {
  config_path = "../orchestration"
  mock_outputs = {
    state_machine_arn = "arn:aws:states:${local.where}:stateMachine:mock"
  }
  mock_outputs_allowed_terraform_commands = ["validate", "plan"]
  mock_outputs_merge_strategy_with_state  = "shallow"
}

dependency "api" {
  config_path = "../api"
  mock_outputs = {
    rest_api_name = "mock-api"
    stage_name    = "mock"
  }
  mock_outputs_allowed_terraform_commands = ["validate", "plan"]
  mock_outputs_merge_strategy_with_state  = "shallow"
}

inputs = {
  kms_key_arn        = dependency.security.outputs.kms_key_arn
  function_names     = dependency.compute.outputs.function_names
  function_timeouts  = { for k, f in local.env.functions : k => f.timeout }
  dlq_name           = dependency.messaging.outputs.dlq_name
  state_machine_arn  = dependency.orchestration.outputs.state_machine_arn
  api_name           = dependency.api.outputs.rest_api_name
  api_stage          = dependency.api.outputs.stage_name
  alarm_emails       = local.env.alarm_emails
  monthly_budget_usd = local.env.monthly_budget_usd
  oncall_topic_arn   = local.env.oncall_topic_name == null ? null : "arn:aws:sns:${local.where}:${local.env.oncall_topic_name}"
}
