# Unit definition shared by live/<env>/<region>/api.
locals {
  env     = read_terragrunt_config(find_in_parent_folders("env.hcl")).locals
  region  = read_terragrunt_config(find_in_parent_folders("region.hcl")).locals
  account = read_terragrunt_config(find_in_parent_folders("account.hcl")).locals
  where   = "${local.region.aws_region}:${local.account.account_id}"
}

terraform {
  source = "${get_repo_root()}/modules//api"
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
    function_names    = { presigned_url_generator = "mock-presigned-url-generator" }
    alias_invoke_arns = { presigned_url_generator = "arn:aws:apigateway:${local.region.aws_region}:lambda:path/2015-03-31/functions/arn:aws:lambda:${local.where}:function:mock:live/invocations" }
  }
  mock_outputs_allowed_terraform_commands = ["validate", "plan"]
  mock_outputs_merge_strategy_with_state  = "shallow"
}

inputs = {
  function_name       = dependency.compute.outputs.function_names["presigned_url_generator"]
  function_invoke_arn = dependency.compute.outputs.alias_invoke_arns["presigned_url_generator"]
  kms_key_arn         = dependency.security.outputs.kms_key_arn
  authorization       = local.env.api_authorization
  log_retention_days  = local.env.log_retention_days
}
