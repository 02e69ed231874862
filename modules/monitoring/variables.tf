variable "project" {
  description = "Short project name (first part of every resource name)."
  type        = string
}

variable "environment" {
  description = "Environment name (dev, test, prod)."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key for the alarm topic."
  type        = string
}

variable "function_names" {
  description = "Function name per key (from the compute unit)."
  type        = map(string)
}

variable "dlq_name" {
  description = "Dead-letter queue name (from the messaging unit)."
  type        = string
}

variable "state_machine_arn" {
  description = "State machine ARN (from the orchestration unit)."
  type        = string
}

variable "api_name" {
  description = "REST API name (from the api unit)."
  type        = string
}

variable "api_stage" {
  description = "REST API stage (from the api unit)."
  type        = string
}

variable "alarm_emails" {
  description = "E-mail addresses subscribed to the alarm topic (each must confirm)."
  type        = list(string)
  default     = []
}

variable "oncall_topic_arn" {
  description = "An existing on-call SNS topic that also receives every alarm (prod); null for none."
  type        = string
  default     = null
}

variable "lambda_error_rate_percent" {
  description = "Errors as a percentage of a function's invocations in a minute that raise its alarm (and stop a release's traffic shift)."
  type        = number
  default     = 10

  validation {
    condition     = var.lambda_error_rate_percent > 0 && var.lambda_error_rate_percent < 100
    error_message = "lambda_error_rate_percent must be between 0 and 100 (exclusive)."
  }
}

variable "function_timeouts" {
  description = "Timeout in seconds per function key (the env's sizing): the p95 duration alarm's scale."
  type        = map(number)
}

variable "duration_alarm_fraction" {
  description = "p95 duration above this fraction of the function's timeout raises its alarm."
  type        = number
  default     = 0.8

  validation {
    condition     = var.duration_alarm_fraction > 0 && var.duration_alarm_fraction <= 1
    error_message = "duration_alarm_fraction must be in (0, 1]."
  }
}

variable "monthly_budget_usd" {
  description = "The env's monthly cost budget in USD (AWS Budgets, alerts to the alarm topic at 80 % actual and 100 % forecast); null for none."
  type        = number
  default     = null

  validation {
    condition     = var.monthly_budget_usd == null ? true : var.monthly_budget_usd > 0
    error_message = "monthly_budget_usd must be above 0 (or null for no budget)."
  }
}
