# Root Terragrunt configuration, included explicitly by every unit:
#   include "root" { path = "${get_repo_root()}/terragrunt.hcl" }
# It holds the backend and provider once. Run Terragrunt from live/<env> (`terragrunt run --all plan`),
# never from the repository root: Terragrunt would take this file for a unit of its own.
locals {
  account = read_terragrunt_config(find_in_parent_folders("account.hcl")).locals
  region  = read_terragrunt_config(find_in_parent_folders("region.hcl")).locals
  project = "idp"

  # Credentials come from the environment (OIDC in GitHub Actions, a profile locally); set
  # TG_ASSUME_ROLE_ARN to have Terraform assume a role on top of them.
  assume_role_arn = get_env("TG_ASSUME_ROLE_ARN", "")
}

remote_state {
  backend = "s3"
  generate = {
    path      = "backend.tf"
    if_exists = "overwrite_terragrunt"
  }
  config = {
    bucket  = local.account.state_bucket
    key     = "${path_relative_to_include()}/terraform.tfstate"
    region  = local.account.state_region
    encrypt = true
    # The state key (live/<env>/_bootstrap/state-backend): without it, encrypt = true writes AES256.
    kms_key_id   = "arn:aws:kms:${local.account.state_region}:${local.account.account_id}:alias/terraform-state"
    use_lockfile = true # S3-native locking: no DynamoDB lock table
  }
}

generate "provider" {
  path      = "provider.tf"
  if_exists = "overwrite_terragrunt"
  contents  = <<-HCL
    provider "aws" {
      region              = "${local.region.aws_region}"
      allowed_account_ids = ["${local.account.account_id}"]
      %{if local.assume_role_arn != ""}
      assume_role {
        role_arn     = "${local.assume_role_arn}"
        session_name = "terragrunt"
      }
      %{endif}
      default_tags {
        tags = {
          Project     = "${local.project}"
          Environment = "${local.account.environment}"
          ManagedBy   = "Terraform"
          CostCenter  = "${local.account.cost_center}"
          Owner       = "${local.account.owner}"
          Repository  = "${local.account.repository}"
        }
      }
    }
  HCL
}

inputs = {
  project     = local.project
  environment = local.account.environment
}
