variable "project" {
  description = "Short project name, the first part of every resource name."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{1,11}$", var.project))
    error_message = "project must be 2-12 lower-case letters or digits, starting with a letter."
  }
}

variable "environment" {
  description = "Environment name (dev, test, prod)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{1,9}$", var.environment))
    error_message = "environment must be 2-10 lower-case letters or digits."
  }
}

variable "account_id" {
  description = "AWS account id (bucket names are global, so they carry it)."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be 12 digits."
  }
}

variable "region" {
  description = "AWS region of the stack."
  type        = string
}

variable "functions" {
  description = "Lambda function keys (folder names under lambdas/)."
  type        = list(string)
  default = [
    "presigned_url_generator",
    "sqs_poller",
    "bda_orchestrator",
    "language_detector",
    "document_classifier",
    "schema_extractor",
    "status_updater",
    "document_cleanup",
    "dlq_analyzer",
  ]
}
