# Bootstrap, applied once by an admin: the GitHub OIDC provider and this account's plan/apply roles.
include "root" {
  path   = "${get_repo_root()}/terragrunt.hcl"
  expose = true
}

terraform {
  source = "${get_repo_root()}/modules//github-oidc"
}

dependency "state_backend" {
  config_path = "../state-backend"
  mock_outputs = {
    bucket_arn  = "arn:aws:s3:::mock-state"
    kms_key_arn = "arn:aws:kms:eu-west-1:${include.root.locals.account.account_id}:key/mock"
  }
  mock_outputs_allowed_terraform_commands = ["validate", "plan"]
}

locals {
  repository = split("/", include.root.locals.account.repository)
}

inputs = {
  github_org             = local.repository[0]
  github_repo            = local.repository[1]
  state_bucket_arn       = dependency.state_backend.outputs.bucket_arn
  state_kms_key_arn      = dependency.state_backend.outputs.kms_key_arn
  create_image_push_role = true # dev is the ECR registry account
}
