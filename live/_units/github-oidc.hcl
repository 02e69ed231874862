# Bootstrap unit shared by live/<env>/_bootstrap/github-oidc, applied once by an admin: the GitHub
# OIDC provider and this account's plan/apply roles (+ the image push role in the ECR registry account).
locals {
  account = read_terragrunt_config(find_in_parent_folders("account.hcl")).locals
  # The registry account: the first env of live/environments.hcl, as in _units/ecr.hcl.
  environments = read_terragrunt_config("${get_repo_root()}/live/environments.hcl").locals.environments
  registry     = read_terragrunt_config("${get_repo_root()}/live/${local.environments[0].name}/account.hcl").locals
  repository   = split("/", local.account.repository)
}

terraform {
  source = "${get_repo_root()}/modules//github-oidc"
}

dependency "state_backend" {
  config_path = "../state-backend"
  mock_outputs = {
    bucket_arn  = "arn:aws:s3:::mock-state"
    kms_key_arn = "arn:aws:kms:eu-west-1:${local.account.account_id}:key/mock"
  }
  mock_outputs_allowed_terraform_commands = ["validate", "plan"]
}

inputs = {
  github_org             = local.repository[0]
  github_repo            = local.repository[1]
  state_bucket_arn       = dependency.state_backend.outputs.bucket_arn
  state_kms_key_arn      = dependency.state_backend.outputs.kms_key_arn
  create_image_push_role = local.account.account_id == local.registry.account_id
}
