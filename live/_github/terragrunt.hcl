# GitHub as code: environments, reviewers, environment variables, the ruleset on main.
# Applied by an admin with a GitHub token (GITHUB_TOKEN, scope: repo admin) and dev-account AWS
# credentials for the state. Reads the account ids and role names from the live tree.
locals {
  dev    = read_terragrunt_config("${get_repo_root()}/live/dev/account.hcl").locals
  test   = read_terragrunt_config("${get_repo_root()}/live/test/account.hcl").locals
  prod   = read_terragrunt_config("${get_repo_root()}/live/prod/account.hcl").locals
  region = read_terragrunt_config("${get_repo_root()}/live/dev/eu-west-1/region.hcl").locals
  owner  = split("/", local.dev.repository)[0]
  repo   = split("/", local.dev.repository)[1]
  role   = { for env, acct in { dev = local.dev, test = local.test, prod = local.prod } : env => "arn:aws:iam::${acct.account_id}:role/${local.repo}-${env}" }
  # GitHub user/team ids of the required reviewers of test and prod: replace with yours.
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
    bucket       = local.dev.state_bucket
    key          = "_github/terraform.tfstate"
    region       = local.dev.state_region
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
    for env, acct in { dev = local.dev, test = local.test, prod = local.prod } : env => {
      account_id           = acct.account_id
      region               = local.region.aws_region
      plan_role_arn        = "${local.role[env]}-plan"
      apply_role_arn       = "${local.role[env]}-apply"
      protected            = env != "dev"
      reviewer_users       = local.reviewer_users
      reviewer_teams       = local.reviewer_teams
      wait_timer           = env == "prod" ? 10 : 0
    }
  }
  repository_variables = {
    AWS_IMAGE_PUSH_ROLE_ARN = "arn:aws:iam::${local.dev.account_id}:role/${local.repo}-image-push"
    ECR_REGISTRY            = "${local.dev.account_id}.dkr.ecr.${local.region.aws_region}.amazonaws.com"
    AWS_REGION              = local.region.aws_region
  }
}
