# Unit definition shared by live/<env>/<region>/orchestration.
locals {
  env     = read_terragrunt_config(find_in_parent_folders("env.hcl")).locals
  region  = read_terragrunt_config(find_in_parent_folders("region.hcl")).locals
  account = read_terragrunt_config(find_in_parent_folders("account.hcl")).locals
  where   = "${local.region.aws_region}:${local.account.account_id}"
}

terraform {
  source = "${get_repo_root()}/modules//orchestration"
}

dependency "security" {
  config_path = "../security"
  mock_outputs = {
    kms_key_arn = "arn:aws:kms:${local.where}:key/mock"
  }
  mock_outputs_allowed_terraform_commands = ["validate", "plan"]
  mock_outputs_merge_strategy_with_state  = "shallow"
}

dependency "compute" {
  config_path = "../compute"
  mock_outputs = {
    alias_arns = { for fn in keys(local.env.functions) : fn => "arn:aws:lambda:${local.where}:function:mock-${replace(fn, "_", "-")}:live" }
  }
  mock_outputs_allowed_terraform_commands = ["validate", "plan"]
  mock_outputs_merge_strategy_with_state  = "shallow"
}

inputs = {
  function_arns      = dependency.compute.outputs.alias_arns
  kms_key_arn        = dependency.security.outputs.kms_key_arn
  log_retention_days = local.env.log_retention_days
  log_level          = local.env.state_machine_logging
}
