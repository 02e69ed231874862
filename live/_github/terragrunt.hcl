# GitHub as code: environments, reviewers, environment variables, the ruleset on main.
# Applied by an admin with a GitHub token (GITHUB_TOKEN, scope: repo admin) and dev-account AWS
# credentials for the state. Reads the account ids and role names from the live tree.
locals {
  # The env list (live/environments.hcl) and each env's account facts (live/<env>/account.hcl).
  environments = read_terragrunt_config("${get_repo_root()}/live/environments.hcl").locals.environments
  accounts     = { for env in local.environments : env.name => read_terragrunt_config("${get_repo_root()}/live/${env.name}/account.hcl").locals }
  registry     = local.accounts[local.environments[0].name] # the first env's account holds the registry
  region       = read_terragrunt_config("${get_repo_root()}/live/${local.environments[0].name}/eu-west-1/region.hcl").locals
  owner        = split("/", local.registry.repository)[0]
  repo         = split("/", local.registry.repository)[1]
  role         = { for name, acct in local.accounts : name => "arn:aws:iam::${acct.account_id}:role/${local.repo}-${name}" }
  # GitHub user/team ids of the required reviewers of every protected env: replace with yours (the
  # module refuses a protected env without reviewers).
  reviewer_teams = []
  reviewer_users = []
}

remote_state {
  backend = "s3"
  generate = {
    path      = "backend.tf"
    if_exists = "overwrite_terragrunt"
  }
  config = {
    bucket       = local.registry.state_bucket
    key          = "_github/terraform.tfstate"
    region       = local.registry.state_region
    encrypt      = true
    use_lockfile = true
  }
}

generate "provider" {
  path      = "provider.tf"
  if_exists = "overwrite_terragrunt"
  contents  = <<-HCL
    provider "github" {
      owner = "${local.owner}"
    }
  HCL
}

terraform {
  source = "${get_repo_root()}/modules//github-repository"
}

inputs = {
  repository = local.repo
  environments = {
    for env in local.environments : env.name => {
      account_id     = local.accounts[env.name].account_id
      region         = local.region.aws_region
      plan_role_arn  = "${local.role[env.name]}-plan"
      apply_role_arn = "${local.role[env.name]}-apply"
      protected      = env.protected
      reviewer_users = env.protected ? local.reviewer_users : []
      reviewer_teams = env.protected ? local.reviewer_teams : []
      wait_timer     = env.wait_timer
    }
  }
  repository_variables = {
    AWS_IMAGE_PUSH_ROLE_ARN = "arn:aws:iam::${local.registry.account_id}:role/${local.repo}-image-push"
    ECR_REGISTRY            = "${local.registry.account_id}.dkr.ecr.${local.region.aws_region}.amazonaws.com"
    AWS_REGION              = local.region.aws_region
  }
}
