variable "project" {
  description = "Short project name (first part of every repository name)."
  type        = string
}

variable "registry_account_id" {
  description = "The one account that holds the ECR repositories (default: dev). Other accounts create nothing here and only compute the repository URLs."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.registry_account_id))
    error_message = "registry_account_id must be 12 digits."
  }
}

variable "pull_account_ids" {
  description = "Accounts whose Lambda service may pull the images (test, prod)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for id in var.pull_account_ids : can(regex("^[0-9]{12}$", id))])
    error_message = "pull_account_ids must be 12-digit account ids."
  }
}

variable "functions" {
  description = "Function keys; one repository each."
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

variable "keep_images" {
  description = "How many images each repository keeps (older ones expire)."
  type        = number
  default     = 30
}

variable "kms_key_arn" {
  description = "KMS key for image encryption (null: AES256, which cross-account pulls need no key grant for)."
  type        = string
  default     = null
}
