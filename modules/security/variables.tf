variable "project" {
  description = "Short project name (first part of every resource name)."
  type        = string
}

variable "environment" {
  description = "Environment name (dev, test, prod)."
  type        = string
}

variable "bda_profile_id" {
  description = "Bedrock Data Automation cross-region profile id, e.g. eu.data-automation-v1 or us.data-automation-v1."
  type        = string
  default     = "eu.data-automation-v1"

  validation {
    condition     = can(regex("^(us|eu|apac|global)\\.data-automation-v[0-9]+$", var.bda_profile_id))
    error_message = "bda_profile_id must look like eu.data-automation-v1."
  }
}

variable "kms_deletion_window_days" {
  description = "Waiting period before a scheduled KMS key deletion (7-30 days)."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_deletion_window_days >= 7 && var.kms_deletion_window_days <= 30
    error_message = "kms_deletion_window_days must be between 7 and 30."
  }
}
