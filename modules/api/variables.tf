variable "project" {
  description = "Short project name (first part of every resource name)."
  type        = string
}

variable "environment" {
  description = "Environment name; also the stage name."
  type        = string
}

variable "function_name" {
  description = "Name of presigned_url_generator (from the compute unit)."
  type        = string
}

variable "function_invoke_arn" {
  description = "Invoke ARN of presigned_url_generator's `live` alias (the compute unit's alias_invoke_arns)."
  type        = string
}

variable "function_alias" {
  description = "The alias the integration invokes (the permission is granted on it)."
  type        = string
  default     = "live"
}

variable "authorization" {
  description = "How callers authenticate: AWS_IAM (SigV4) or COGNITO_USER_POOLS."
  type        = string
  default     = "AWS_IAM"

  validation {
    condition     = contains(["AWS_IAM", "COGNITO_USER_POOLS"], var.authorization)
    error_message = "authorization must be AWS_IAM or COGNITO_USER_POOLS."
  }
}

variable "cognito_user_pool_arns" {
  description = "User pools allowed when authorization = COGNITO_USER_POOLS."
  type        = list(string)
  default     = []
}

variable "kms_key_arn" {
  description = "KMS key for the access-log group."
  type        = string
}

variable "log_retention_days" {
  description = "Retention of the access-log group."
  type        = number
  default     = 7
}

variable "throttling_rate_limit" {
  description = "Steady-state requests per second for the stage."
  type        = number
  default     = 50
}

variable "throttling_burst_limit" {
  description = "Burst requests for the stage."
  type        = number
  default     = 100
}

variable "manage_account_logging_role" {
  description = "Create the account-level role API Gateway needs to write execution logs (one per account and region; set false if something else manages it)."
  type        = bool
  default     = true
}

variable "web_acl_arn" {
  description = "WAFv2 web ACL (REGIONAL) to attach to the stage; null for none."
  type        = string
  default     = null
}
