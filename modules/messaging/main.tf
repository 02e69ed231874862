# The intake queue fed by S3 ObjectCreated notifications, and its dead-letter queue.
data "aws_caller_identity" "current" {}
data "aws_region" "current" {}

module "names" {
  source      = "../naming"
  project     = var.project
  environment = var.environment
  account_id  = data.aws_caller_identity.current.account_id
  region      = data.aws_region.current.id
}

resource "aws_sqs_queue" "dlq" {
  name                              = module.names.intake_dlq
  message_retention_seconds         = var.dlq_retention_seconds
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = 300
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
}

resource "aws_sqs_queue_redrive_allow_policy" "dlq" {
  queue_url = aws_sqs_queue.dlq.id
  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.intake.arn]
  })
}

data "aws_iam_policy_document" "intake" {
  statement {
    sid       = "S3ObjectCreated"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.intake.arn]
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
    resources = [aws_sqs_queue.intake.arn]
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

resource "aws_sqs_queue_policy" "intake" {
  queue_url = aws_sqs_queue.intake.id
  policy    = data.aws_iam_policy_document.intake.json
}

resource "aws_s3_bucket_notification" "input" {
  bucket = var.input_bucket_name

  queue {
    queue_arn     = aws_sqs_queue.intake.arn
    events        = ["s3:ObjectCreated:*"]
    filter_prefix = "uploads/"
  }

  depends_on = [aws_sqs_queue_policy.intake]
}
