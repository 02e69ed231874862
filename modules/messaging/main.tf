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
  sqs_head     = "arn:${data.aws_partition.current.partition}:sqs:${data.aws_region.current.id}:${data.aws_caller_identity.current.account_id}"
  intake_arn   = "${local.sqs_head}:${module.names.intake_queue}"
  bda_rule_arn = "arn:${data.aws_partition.current.partition}:events:${data.aws_region.current.id}:${data.aws_caller_identity.current.account_id}:rule/${module.names.bda_events_rule}"
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
  arn       = aws_sqs_queue.worker["bda_events"].arn
}

# --- document callbacks --------------------------------------------------------------------------
# Every function that ends a document queues its callback here; status_updater delivers it, one
# attempt per receive, and delays a failed one with backoff and jitter. After callback_max_attempts
# receives the message moves to the DLQ (the document's record says so).

# --- the queues a function consumes besides the intake: each with its DLQ, KMS, TLS only -----------
locals {
  worker_queues = {
    bda_events = {
      name       = module.names.bda_events_queue
      dlq        = module.names.bda_events_dlq
      visibility = 6 * var.bda_consumer_timeout_seconds
      retention  = 86400 # an event older than a day has no execution left to resume
      receives   = var.max_receive_count
      rule       = local.bda_rule_arn # the EventBridge rule that may send to it
    }
    callbacks = {
      name       = module.names.callbacks_queue
      dlq        = module.names.callbacks_dlq
      visibility = 6 * var.callback_consumer_timeout_seconds
      retention  = 345600
      receives   = var.callback_max_attempts # each receive is one delivery attempt
      rule       = null
    }
  }
}

resource "aws_sqs_queue" "worker_dlq" {
  for_each = local.worker_queues

  name                              = each.value.dlq
  message_retention_seconds         = var.dlq_retention_seconds
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = 300

  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = ["${local.sqs_head}:${each.value.name}"]
  })
}

resource "aws_sqs_queue" "worker" {
  for_each = local.worker_queues

  name                              = each.value.name
  visibility_timeout_seconds        = each.value.visibility
  receive_wait_time_seconds         = 20
  message_retention_seconds         = each.value.retention
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = 300

  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.worker_dlq[each.key].arn
    maxReceiveCount     = each.value.receives
  })

  policy = data.aws_iam_policy_document.worker[each.key].json
}

data "aws_iam_policy_document" "worker" {
  for_each = local.worker_queues

  dynamic "statement" {
    for_each = each.value.rule == null ? [] : [each.value.rule]
    content {
      sid       = "EventBridgeRule"
      actions   = ["sqs:SendMessage"]
      resources = ["${local.sqs_head}:${each.value.name}"]
      principals {
        type        = "Service"
        identifiers = ["events.amazonaws.com"]
      }
      condition {
        test     = "ArnEquals"
        variable = "aws:SourceArn"
        values   = [statement.value]
      }
    }
  }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sqs:*"]
    resources = ["${local.sqs_head}:${each.value.name}"]
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
