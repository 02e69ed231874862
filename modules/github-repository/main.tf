# GitHub as code: environments with reviewers and deployment-branch policies, their variables,
# and a ruleset on main that requires the PR checks. Required reviewers on private repositories
# need GitHub Team or Enterprise (see docs/infrastructure.md).
resource "github_repository_environment" "this" {
  for_each = var.environments

  repository          = var.repository
  environment         = each.key
  wait_timer          = each.value.wait_timer > 0 ? each.value.wait_timer : null
  prevent_self_review = each.value.protected
  can_admins_bypass   = !each.value.protected

  dynamic "reviewers" {
    for_each = each.value.protected ? [1] : []
    content {
      users = each.value.reviewer_users
      teams = each.value.reviewer_teams
    }
  }

  deployment_branch_policy {
    protected_branches     = false
    custom_branch_policies = true
  }
}

resource "github_repository_environment_deployment_policy" "main_only" {
  for_each = var.environments

  repository     = var.repository
  environment    = github_repository_environment.this[each.key].environment
  branch_pattern = "main"
}

locals {
  environment_variables = merge([
    for env, cfg in var.environments : {
      for name, value in merge({
        AWS_ACCOUNT_ID     = cfg.account_id
        AWS_REGION         = cfg.region
        AWS_PLAN_ROLE_ARN  = cfg.plan_role_arn
        AWS_APPLY_ROLE_ARN = cfg.apply_role_arn
      }, cfg.extra_variables) : "${env}/${name}" => { environment = env, name = name, value = value }
    }
  ]...)
}

resource "github_actions_environment_variable" "this" {
  for_each = local.environment_variables

  repository    = var.repository
  environment   = github_repository_environment.this[each.value.environment].environment
  variable_name = each.value.name
  value         = each.value.value
}

resource "github_actions_variable" "this" {
  for_each = var.repository_variables

  repository    = var.repository
  variable_name = each.key
  value         = each.value
}

resource "github_repository_ruleset" "main" {
  name        = "main"
  repository  = var.repository
  target      = "branch"
  enforcement = "active"

  conditions {
    ref_name {
      include = ["~DEFAULT_BRANCH"]
      exclude = []
    }
  }

  rules {
    deletion                = true
    non_fast_forward        = true
    required_linear_history = true

    pull_request {
      required_approving_review_count   = 1
      dismiss_stale_reviews_on_push     = true
      require_code_owner_review         = true
      required_review_thread_resolution = true
    }

    required_status_checks {
      strict_required_status_checks_policy = true
      dynamic "required_check" {
        for_each = var.required_checks
        content {
          context = required_check.value
        }
      }
    }
  }
}
