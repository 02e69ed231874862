variable "project" {
  description = "Short project name (first part of every resource name): scopes the plan role's secret reads."
  type        = string
}

variable "github_org" {
  description = "GitHub organisation (or user) that owns the repository."
  type        = string
}

variable "github_repo" {
  description = "Repository name."
  type        = string
}

variable "environment" {
  description = "The GitHub environment (and AWS account) this apply role serves: dev, test or prod."
  type        = string
}

variable "subject_prefix" {
  description = "Prefix of the OIDC `sub` claim. Classic: repo:ORG/REPO. Repositories created after mid-2026 may use immutable ids: repo:ORG@<org id>/REPO@<repo id>."
  type        = string
  default     = null
}

variable "state_bucket_arn" {
  description = "ARN of the state bucket (from the state-backend unit)."
  type        = string
}

variable "state_kms_key_arn" {
  description = "KMS key of the state bucket."
  type        = string
}

variable "create_provider" {
  description = "Create the account's GitHub OIDC provider (false if the account already has one)."
  type        = bool
  default     = true
}

variable "apply_policy_arns" {
  description = "Managed policies attached to the apply role (what Terraform may change in this account)."
  type        = list(string)
  default     = ["arn:aws:iam::aws:policy/PowerUserAccess"]
}

variable "max_session_seconds" {
  description = "Maximum session of both roles."
  type        = number
  default     = 3600
}

variable "create_image_push_role" {
  description = "Create the role main-branch builds assume to push images (only in the ECR registry account)."
  type        = bool
  default     = false
}

variable "ecr_repository_prefix" {
  description = "Repositories the push role may push to: <prefix>/*."
  type        = string
  default     = "idp"
}
