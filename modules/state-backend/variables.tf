variable "bucket_name" {
  description = "Name of the state bucket (global: include the account id)."
  type        = string
}

variable "noncurrent_version_days" {
  description = "Days old state versions are kept (state history for recovery)."
  type        = number
  default     = 90
}
