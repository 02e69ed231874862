variable "project" {
  description = "Short project name (first part of every resource name)."
  type        = string
}

variable "environment" {
  description = "Environment name (dev, test, prod)."
  type        = string
}

variable "function_arns" {
  description = "The ARN each task invokes per function key: the function's `live` alias (the compute unit's alias_arns); the state machine's tasks call five of them."
  type        = map(string)
}

variable "kms_key_arn" {
  description = "KMS key for the execution log group and the state machine's data."
  type        = string
}

variable "log_retention_days" {
  description = "Retention of the execution log group."
  type        = number
  default     = 7
}

variable "log_level" {
  description = "Execution logging level (ALL, ERROR, FATAL, OFF)."
  type        = string
  default     = "ERROR"

  validation {
    condition     = contains(["ALL", "ERROR", "FATAL", "OFF"], var.log_level)
    error_message = "log_level must be ALL, ERROR, FATAL or OFF."
  }
}
