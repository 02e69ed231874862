# Values of the test environment. Units read them; logic lives in live/_units/ and modules/.
locals {
  # Lambda sizing per function. reserved_concurrency -1: unreserved.
  functions = {
    presigned_url_generator = { memory_size = 512, timeout = 30, reserved_concurrency = -1 }
    sqs_poller              = { memory_size = 256, timeout = 30, reserved_concurrency = -1 }
    bda_orchestrator        = { memory_size = 1024, timeout = 300, reserved_concurrency = -1 }
    language_detector       = { memory_size = 512, timeout = 60, reserved_concurrency = -1 }
    document_classifier     = { memory_size = 1024, timeout = 120, reserved_concurrency = -1 }
    schema_extractor        = { memory_size = 2048, timeout = 300, reserved_concurrency = -1 }
    status_updater          = { memory_size = 256, timeout = 30, reserved_concurrency = -1 }
    document_cleanup        = { memory_size = 256, timeout = 60, reserved_concurrency = 1 }
    dlq_analyzer            = { memory_size = 256, timeout = 60, reserved_concurrency = 1 }
  }

  # BDA jobs running at once (further starts wait): within the account's BDA quota.
  bda_max_in_flight = 10

  # Delivery attempts of a callback before it is dead-lettered (backoff with jitter, 30 s doubling to 15 min).
  callback_max_attempts = 10

  log_retention_days = 14
  # Lambda's own trace segments are free; Powertools Tracer subsegments (xray_sdk_subsegments) cost
  # about one more `import boto3` on every cold start (docs/application.md, cold start).
  enable_xray_tracing    = true
  xray_sdk_subsegments   = true
  state_machine_logging  = "ERROR"
  point_in_time_recovery = false
  deletion_protection    = false
  force_destroy_buckets  = true
  kms_deletion_days      = 7
  bucket_retention_days  = { input = 7, output = 400, audit = 365, access_logs = 30 }
  api_authorization      = "AWS_IAM"
  # Monthly cost budget of the env's account (AWS Budgets; docs/costs.md: the estimate at this env's volume).
  monthly_budget_usd = 300
  alarm_emails       = []
  oncall_topic_name  = null
}
