variable "project" {
  description = "Short project name (first part of every resource name)."
  type        = string
}

variable "environment" {
  description = "Environment name (dev, test, prod)."
  type        = string
}

variable "functions" {
  description = "Sizing per function key (seed 000 §4.2): memory MB, timeout s, reserved concurrency (-1: unreserved)."
  type = map(object({
    memory_size          = number
    timeout              = number
    reserved_concurrency = number
  }))

  validation {
    condition = alltrue([
      for f in values(var.functions) : f.memory_size >= 128 && f.memory_size <= 10240 && f.timeout >= 1 && f.timeout <= 900
    ])
    error_message = "memory_size must be 128-10240 MB and timeout 1-900 s."
  }
}

variable "image_digests" {
  description = "Image digest (sha256:...) per function key: every environment deploys the same digests."
  type        = map(string)

  validation {
    condition     = alltrue([for d in values(var.image_digests) : can(regex("^sha256:[0-9a-f]{64}$", d))])
    error_message = "Every image digest must be sha256:<64 hex>."
  }

  validation {
    condition     = length(setsubtract(keys(var.functions), keys(var.image_digests))) == 0
    error_message = "image_digests needs a digest for every function (set IDP_IMAGE_DIGESTS; the pipeline takes unchanged ones from the release manifest)."
  }
}

variable "repository_urls" {
  description = "ECR repository URL per function key (from the ecr unit)."
  type        = map(string)
}

variable "role_arns" {
  description = "IAM role ARN per function key (from the security unit)."
  type        = map(string)
}

variable "kms_key_arn" {
  description = "KMS key for logs, environment variables and the callback secret."
  type        = string
}

variable "documents_table_name" {
  description = "Documents table (from the storage unit)."
  type        = string
}

variable "config_table_name" {
  description = "Config-cache table (from the storage unit)."
  type        = string
}

variable "bucket_names" {
  description = "Bucket names by purpose (from the storage unit)."
  type        = map(string)
}

variable "intake_queue_arn" {
  description = "Intake queue ARN (event source of sqs_poller)."
  type        = string
}

variable "bda_events_queue_arn" {
  description = "Queue of BDA's job-ended events (event source of bda_orchestrator; from the messaging unit)."
  type        = string
}

variable "callbacks_queue_arn" {
  description = "Queue of document callbacks (event source of status_updater; from the messaging unit)."
  type        = string
}

variable "callbacks_queue_url" {
  description = "Queue of document callbacks, where the functions that end documents send them."
  type        = string
}

variable "callback_max_attempts" {
  description = "Delivery attempts of a callback before it is dead-lettered: the callbacks queue's maxReceiveCount (the env's value, given to the messaging unit too)."
  type        = number
}

variable "callback_retry_base_seconds" {
  description = "First retry delay of a callback; each next one doubles, capped at 15 min, with full jitter."
  type        = number
  default     = 30

  validation {
    condition     = var.callback_retry_base_seconds >= 1 && var.callback_retry_base_seconds <= 3600
    error_message = "callback_retry_base_seconds must be 1-3600."
  }
}

variable "callback_allow_http_loopback" {
  description = "Accept http callback URLs to a loopback receiver: the local run only (a Lambda cannot reach one)."
  type        = bool
  default     = false
}

variable "intake_queue_url" {
  description = "Intake queue URL (dlq_analyzer redrives into it)."
  type        = string
}

variable "dlq_url" {
  description = "Dead-letter queue URL (drained by dlq_analyzer)."
  type        = string
}

variable "bda_profile_arn" {
  description = "Bedrock Data Automation profile ARN (from the security unit)."
  type        = string
}

variable "log_retention_days" {
  description = "CloudWatch Logs retention of every function's log group."
  type        = number
  default     = 7

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts."
  }
}

variable "enable_xray_tracing" {
  description = "Active X-Ray tracing on every function: Lambda records each invocation (init, invocation, overhead) in the trace API Gateway or Step Functions started. No code in the function runs for it."
  type        = bool
  default     = true
}

variable "xray_sdk_subsegments" {
  description = "Also run Powertools' Tracer (the X-Ray SDK) in the functions: a subsegment per AWS call, document_id annotations. Costs about one more `import boto3` on every cold start (docs/application.md, cold start). Needs enable_xray_tracing."
  type        = bool
  default     = true

  validation {
    condition     = !var.xray_sdk_subsegments || var.enable_xray_tracing
    error_message = "xray_sdk_subsegments needs enable_xray_tracing = true: subsegments belong to the function's trace."
  }
}

variable "upload_expiry_seconds" {
  description = "Lifetime of presigned uploads; PENDING_UPLOAD documents older than this expire."
  type        = number
  default     = 900
}

variable "result_url_expiry_seconds" {
  description = "Lifetime of the presigned result URL returned by GET /documents/{id}."
  type        = number
  default     = 900
}

variable "default_retention_days" {
  description = "Retention of processed documents whose type has none configured."
  type        = number
  default     = 90
}

variable "bda_deadline_seconds" {
  description = "How long an execution waits for its BDA job's ended event; then it asks BDA once and, if the job has not succeeded, ends the document FAILED saying so."
  type        = number
  default     = 1800

  validation {
    condition     = var.bda_deadline_seconds >= 1 && var.bda_deadline_seconds <= 86400
    error_message = "bda_deadline_seconds must be 1-86400."
  }
}

variable "queued_deadline_seconds" {
  description = "A QUEUED document whose processing has not started this long after it was queued is ended FAILED (document_cleanup; DocumentsOverdue alarm)."
  type        = number
  default     = 1800

  validation {
    condition     = var.queued_deadline_seconds >= 60 && var.queued_deadline_seconds <= 86400
    error_message = "queued_deadline_seconds must be 60-86400."
  }
}

variable "processing_deadline_seconds" {
  description = "A PROCESSING document with no change this long is ended FAILED and its execution stopped (document_cleanup; DocumentsOverdue alarm). Longer than bda_deadline_seconds plus the wait for a BDA slot (up to 45 min)."
  type        = number
  default     = 7200

  validation {
    condition     = var.processing_deadline_seconds >= 60 && var.processing_deadline_seconds <= 86400
    error_message = "processing_deadline_seconds must be 60-86400."
  }
}

variable "bda_max_in_flight" {
  description = "The most BDA jobs this env runs at once (bda_orchestrator's slots): further starts wait, retried by the state machine. Keep it within the account's BDA concurrent-jobs quota (Service Quotas)."
  type        = number
  default     = 10

  validation {
    condition     = var.bda_max_in_flight >= 1 && var.bda_max_in_flight <= 1000
    error_message = "bda_max_in_flight must be 1-1000."
  }
}

variable "bda_stage" {
  description = "BDA project stage to invoke (LIVE or DEVELOPMENT)."
  type        = string
  default     = "LIVE"

  validation {
    condition     = contains(["LIVE", "DEVELOPMENT"], var.bda_stage)
    error_message = "bda_stage must be LIVE or DEVELOPMENT."
  }
}

variable "callback_timeout_seconds" {
  description = "Timeout of each callback HTTP request."
  type        = number
  default     = 5
}

variable "cleanup_schedule" {
  description = "EventBridge schedule of document_cleanup."
  type        = string
  default     = "rate(10 minutes)" # it also ends overdue documents: within 10 min of their deadline
}

variable "dlq_analyzer_schedule" {
  description = "EventBridge schedule of dlq_analyzer."
  type        = string
  default     = "rate(15 minutes)"
}

variable "poller_max_concurrency" {
  description = "Maximum concurrent sqs_poller invocations the event source mapping starts."
  type        = number
  default     = 10
}
