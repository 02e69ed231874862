variable "project" {
  description = "Short project name (first part of every resource name)."
  type        = string
}

variable "environment" {
  description = "Environment name (dev, test, prod)."
  type        = string
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key for the queues (from the security unit)."
  type        = string
}

variable "input_bucket_name" {
  description = "Bucket whose ObjectCreated events feed the intake queue (from the storage unit)."
  type        = string
}

variable "input_bucket_arn" {
  description = "ARN of that bucket (the queue policy trusts only it)."
  type        = string
}

variable "consumer_timeout_seconds" {
  description = "Timeout of the consuming Lambda (sqs_poller); visibility is set to 6x this, as AWS advises."
  type        = number
  default     = 30

  validation {
    condition     = var.consumer_timeout_seconds >= 1 && var.consumer_timeout_seconds <= 900
    error_message = "consumer_timeout_seconds must be 1-900."
  }
}

variable "bda_consumer_timeout_seconds" {
  description = "Timeout of bda_orchestrator, which consumes the BDA events queue (visibility is 6x this)."
  type        = number
  default     = 300

  validation {
    condition     = var.bda_consumer_timeout_seconds >= 1 && var.bda_consumer_timeout_seconds <= 900
    error_message = "bda_consumer_timeout_seconds must be 1-900."
  }
}

variable "callback_consumer_timeout_seconds" {
  description = "Timeout of status_updater, which delivers the callbacks queue (visibility is 6x this)."
  type        = number
  default     = 30

  validation {
    condition     = var.callback_consumer_timeout_seconds >= 1 && var.callback_consumer_timeout_seconds <= 900
    error_message = "callback_consumer_timeout_seconds must be 1-900."
  }
}

variable "callback_max_attempts" {
  description = "Delivery attempts of a callback before it is dead-lettered (the callbacks queue's maxReceiveCount)."
  type        = number
  default     = 10

  validation {
    condition     = var.callback_max_attempts >= 1 && var.callback_max_attempts <= 100
    error_message = "callback_max_attempts must be 1-100."
  }
}

variable "max_receive_count" {
  description = "Receives before a message moves to the DLQ."
  type        = number
  default     = 5

  validation {
    condition     = var.max_receive_count >= 1 && var.max_receive_count <= 1000
    error_message = "max_receive_count must be 1-1000."
  }
}

variable "dlq_retention_seconds" {
  description = "How long dead letters are kept (max 14 days)."
  type        = number
  default     = 1209600
}
