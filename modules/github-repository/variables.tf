variable "repository" {
  description = "Repository name (in the provider's owner)."
  type        = string
}

variable "environments" {
  description = "GitHub environments: account id, region, role ARNs, reviewers (GitHub user/team ids), wait timer minutes."
  type = map(object({
    account_id      = string
    region          = string
    plan_role_arn   = string
    apply_role_arn  = string
    reviewer_users  = optional(list(number), [])
    reviewer_teams  = optional(list(number), [])
    wait_timer      = optional(number, 0)
    protected       = optional(bool, false)
    extra_variables = optional(map(string), {})
  }))

  validation {
    condition = alltrue([
      for name, env in var.environments : !env.protected || length(env.reviewer_users) + length(env.reviewer_teams) > 0
    ])
    error_message = "A protected environment needs required reviewers: set reviewer_users or reviewer_teams (GitHub user/team ids) for it in live/_github/terragrunt.hcl."
  }
}

variable "repository_variables" {
  description = "Repository-level Actions variables (e.g. AWS_IMAGE_PUSH_ROLE_ARN, ECR_REGISTRY)."
  type        = map(string)
  default     = {}
}

variable "required_checks" {
  description = "Status checks a PR needs before merging to main (job names of pr.yml; `plans` stands for every env's plan)."
  type        = list(string)
  default     = ["changes", "lint-and-test", "security", "plans"]
}
