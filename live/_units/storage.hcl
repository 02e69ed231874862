# Unit definition shared by live/<env>/<region>/storage.
locals {
  env     = read_terragrunt_config(find_in_parent_folders("env.hcl")).locals
  region  = read_terragrunt_config(find_in_parent_folders("region.hcl")).locals
  account = read_terragrunt_config(find_in_parent_folders("account.hcl")).locals
}

terraform {
  source = "${get_repo_root()}/modules//storage"
}

dependency "security" {
  config_path = "../security"
  mock_outputs = {
    kms_key_arn = "arn:aws:kms:${local.region.aws_region}:${local.account.account_id}:key/mock"
  }
  mock_outputs_allowed_terraform_commands = ["validate", "plan"]
  mock_outputs_merge_strategy_with_state  = "shallow"
}

inputs = {
  kms_key_arn            = dependency.security.outputs.kms_key_arn
  retention_days         = local.env.bucket_retention_days
  point_in_time_recovery = local.env.point_in_time_recovery
  deletion_protection    = local.env.deletion_protection
  force_destroy_buckets  = local.env.force_destroy_buckets
}
