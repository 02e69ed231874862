# The intake queue fed by S3 ObjectCreated notifications, and its dead-letter queue; the queue of
# Bedrock Data Automation's job-ended events (EventBridge), and its dead-letter queue.
data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

module "names" {
  source      = "../naming"
  project     = var.project
  environment = var.environment
  account_id  = data.aws_caller_identity.current.account_id
  region      = data.aws_region.current.id
}

locals {
  # The intake queue's ARN from its name: both queues get their policies when they are created, not
  # through separate policy resources - the provider waits ~25 s for every SQS attribute change to
  # propagate, and separate resources put two more of those waits on every first apply's longest chain.
  sqs_head       = "arn:${data.aws_partition.current.partition}:sqs:${data.aws_region.current.id}:${data.aws_caller_identity.current.account_id}"
  intake_arn     = "${local.sqs_head}:${module.names.intake_queue}"
  bda_events_arn = "${local.sqs_head}:${module.names.bda_events_queue}"
  callbacks_arn  = "${local.sqs_head}:${module.names.callbacks_queue}"
  bda_rule_arn   = "arn:${data.aws_partition.current.partition}:events:${data.aws_region.current.id}:${data.aws_caller_identity.current.account_id}:rule/${module.names.bda_events_rule}"
}

resource "aws_sqs_queue" "dlq" {
  name                              = module.names.intake_dlq
  message_retention_seconds         = var.dlq_retention_seconds
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = 300

  # Only the intake queue may dead-letter here.
  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [local.intake_arn]
  })
}

resource "aws_sqs_queue" "intake" {
  name                              = module.names.intake_queue
  visibility_timeout_seconds        = 6 * var.consumer_timeout_seconds
  receive_wait_time_seconds         = 20 # long polling
  message_retention_seconds         = 345600
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = 300

  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dlq.arn
    maxReceiveCount     = var.max_receive_count
  })

  policy = data.aws_iam_policy_document.intake.json
}

# Stacks applied before the policies moved into the queues: forget the old resources without
# deleting them (their delete would clear the attribute the queue now sets).
removed {
  from = aws_sqs_queue_redrive_allow_policy.dlq
  lifecycle {
    destroy = false
  }
}

removed {
  from = aws_sqs_queue_policy.intake
  lifecycle {
    destroy = false
  }
}

data "aws_iam_policy_document" "intake" {
  statement {
    sid       = "S3ObjectCreated"
    actions   = ["sqs:SendMessage"]
    resources = [local.intake_arn]
    principals {
      type        = "Service"
      identifiers = ["s3.amazonaws.com"]
    }
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [var.input_bucket_arn]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sqs:*"]
    resources = [local.intake_arn]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_notification" "input" {
  bucket = var.input_bucket_name

  queue {
    queue_arn     = aws_sqs_queue.intake.arn
    events        = ["s3:ObjectCreated:*"]
    filter_prefix = "uploads/"
  }

  # S3 checks it may send to the queue when the notification is put: the queue carries its policy.
}

# --- BDA job-ended events ------------------------------------------------------------------------
# BDA publishes "Bedrock Data Automation Job Succeeded / Failed With Client Error / Failed With
# Service Error" to the account's default bus when a job submitted with EventBridge notifications
# ends (Bedrock user guide, "How EventBridge for Amazon Bedrock works"). The rule queues them for
# bda_orchestrator, which resumes the waiting execution: no polling. The queue buffers bursts and
# retries a failed resume; what still fails lands in the DLQ (the execution's deadline then ends
# the document FAILED, after asking BDA once more). The pattern does not filter on the output
# bucket: the failure events' detail is not documented, and a foreign job is ignored by the handler.
resource "aws_cloudwatch_event_rule" "bda_job_ended" {
  name        = module.names.bda_events_rule
  description = "Bedrock Data Automation job-ended events -> ${module.names.bda_events_queue}"
  event_pattern = jsonencode({
    source = ["aws.bedrock"]
    detail-type = [
      "Bedrock Data Automation Job Succeeded",
      "Bedrock Data Automation Job Failed With Client Error",
      "Bedrock Data Automation Job Failed With Service Error",
    ]
  })
}

resource "aws_cloudwatch_event_target" "bda_job_ended" {
  rule      = aws_cloudwatch_event_rule.bda_job_ended.name
  target_id = "bda-events-queue"
  arn       = aws_sqs_queue.bda_events.arn
}

resource "aws_sqs_queue" "bda_events_dlq" {
  name                              = module.names.bda_events_dlq
  message_retention_seconds         = var.dlq_retention_seconds
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = 300

  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [local.bda_events_arn]
  })
}

resource "aws_sqs_queue" "bda_events" {
  name                              = module.names.bda_events_queue
  visibility_timeout_seconds        = 6 * var.bda_consumer_timeout_seconds
  receive_wait_time_seconds         = 20
  message_retention_seconds         = 86400 # an event older than a day has no execution left to resume
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = 300

  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.bda_events_dlq.arn
    maxReceiveCount     = var.max_receive_count
  })

  policy = data.aws_iam_policy_document.bda_events.json
}

data "aws_iam_policy_document" "bda_events" {
  statement {
    sid       = "EventBridgeRule"
    actions   = ["sqs:SendMessage"]
    resources = [local.bda_events_arn]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [local.bda_rule_arn]
    }
  }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sqs:*"]
    resources = [local.bda_events_arn]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

# --- document callbacks --------------------------------------------------------------------------
# Every function that ends a document queues its callback here; status_updater delivers it, one
# attempt per receive, and delays a failed one with backoff and jitter. After callback_max_attempts
# receives the message moves to the DLQ (the document's record says so).
resource "aws_sqs_queue" "callbacks_dlq" {
  name                              = module.names.callbacks_dlq
  message_retention_seconds         = var.dlq_retention_seconds
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = 300

  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [local.callbacks_arn]
  })
}

resource "aws_sqs_queue" "callbacks" {
  name                              = module.names.callbacks_queue
  visibility_timeout_seconds        = 6 * var.callback_consumer_timeout_seconds
  receive_wait_time_seconds         = 20
  message_retention_seconds         = 345600
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = 300

  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.callbacks_dlq.arn
    maxReceiveCount     = var.callback_max_attempts
  })

  policy = data.aws_iam_policy_document.callbacks.json
}

data "aws_iam_policy_document" "callbacks" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sqs:*"]
    resources = [local.callbacks_arn]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}
