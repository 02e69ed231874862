# Unit definition shared by live/<env>/<region>/ecr. The repositories live in one account (the first env's):
# there the unit creates them; elsewhere it creates nothing and outputs the same repository URLs.
locals {
  # The env list (live/environments.hcl): its first env's account holds the registry, the others pull.
  environments = read_terragrunt_config("${get_repo_root()}/live/environments.hcl").locals.environments
  registry     = read_terragrunt_config("${get_repo_root()}/live/${local.environments[0].name}/account.hcl").locals
  pullers = [
    for env in slice(local.environments, 1, length(local.environments)) :
    read_terragrunt_config("${get_repo_root()}/live/${env.name}/account.hcl").locals.account_id
  ]
}

terraform {
  source = "${get_repo_root()}/modules//ecr"
}

inputs = {
  registry_account_id = local.registry.account_id
  pull_account_ids    = local.pullers
}
