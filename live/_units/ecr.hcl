# Unit definition shared by live/<env>/<region>/ecr. The repositories live in one account (dev):
# there the unit creates them; elsewhere it creates nothing and outputs the same repository URLs.
locals {
  registry = read_terragrunt_config("${get_repo_root()}/live/dev/account.hcl").locals
  pullers = [
    read_terragrunt_config("${get_repo_root()}/live/test/account.hcl").locals.account_id,
    read_terragrunt_config("${get_repo_root()}/live/prod/account.hcl").locals.account_id,
  ]
}

terraform {
  source = "${get_repo_root()}/modules//ecr"
}

inputs = {
  registry_account_id = local.registry.account_id
  pull_account_ids    = local.pullers
}
