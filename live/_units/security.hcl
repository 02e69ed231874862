# Unit definition shared by live/<env>/<region>/security (values: env.hcl, region.hcl).
locals {
  env    = read_terragrunt_config(find_in_parent_folders("env.hcl")).locals
  region = read_terragrunt_config(find_in_parent_folders("region.hcl")).locals
}

terraform {
  source = "${get_repo_root()}/modules//security"
}

inputs = {
  bda_profile_id           = local.region.bda_profile_id
  kms_deletion_window_days = local.env.kms_deletion_days
}
