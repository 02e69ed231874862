variable "project" {
  description = "Short project name (first part of every resource name)."
  type        = string
}

variable "environment" {
  description = "Environment name (dev, test, prod)."
  type        = string
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key for buckets and tables (from the security unit)."
  type        = string
}

variable "retention_days" {
  description = "Object lifecycle per bucket, in days (seed 000 §4.2: input 7, output 90, audit 365)."
  type = object({
    input       = number
    output      = number
    audit       = number
    access_logs = number
  })
  default = { input = 7, output = 400, audit = 365, access_logs = 90 }

  validation {
    condition     = alltrue([for days in values(var.retention_days) : days >= 1 && days <= 3650])
    error_message = "Every retention must be between 1 and 3650 days."
  }
}

variable "point_in_time_recovery" {
  description = "Enable DynamoDB point-in-time recovery on both tables."
  type        = bool
  default     = true
}

variable "deletion_protection" {
  description = "Protect the DynamoDB tables from deletion (prod: true)."
  type        = bool
  default     = false
}

variable "force_destroy_buckets" {
  description = "Allow Terraform to delete non-empty buckets (never in prod)."
  type        = bool
  default     = false
}

variable "cors_allowed_origins" {
  description = "Browser origins allowed to POST uploads straight to the input bucket (empty: no CORS)."
  type        = list(string)
  default     = []
}
