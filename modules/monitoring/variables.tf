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

variable "lambda_error_threshold" {
  description = "Errors per function per 5 minutes that raise the alarm."
  type        = number
  default     = 1
}
