# Buckets (input, output, config, audit + access logs) and the two DynamoDB tables.
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
  data_buckets = {
    input  = var.retention_days.input
    output = var.retention_days.output
    config = null # configs are kept: versioning holds their history
    audit  = var.retention_days.audit
  }
  all_buckets = merge(local.data_buckets, { "access-logs" = var.retention_days.access_logs })
}

resource "aws_s3_bucket" "this" {
  for_each = local.all_buckets
  # checkov cannot follow for_each from a bucket to its per-bucket configuration resources below;
  # tests/infra/test_modules.py checks each of these is declared for every bucket instead.
  #checkov:skip=CKV_AWS_21:versioning is aws_s3_bucket_versioning.this (for_each over the same buckets)
  #checkov:skip=CKV_AWS_145:KMS default encryption is aws_s3_bucket_server_side_encryption_configuration.this (access-logs: SSE-S3, the only encryption S3 log delivery supports)
  #checkov:skip=CKV2_AWS_6:public access block is aws_s3_bucket_public_access_block.this
  #checkov:skip=CKV2_AWS_61:lifecycle is aws_s3_bucket_lifecycle_configuration.this
  #checkov:skip=CKV2_AWS_62:only the input bucket needs ObjectCreated events (modules/messaging); the others have no consumer
  #checkov:skip=CKV_AWS_144:single-region by design (data residency); versioning + PITR cover recovery

  bucket        = module.names.buckets[each.key]
  force_destroy = var.force_destroy_buckets
}

resource "aws_s3_bucket_ownership_controls" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  for_each = aws_s3_bucket.this

  bucket                  = each.value.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.id
  versioning_configuration {
    status = "Enabled"
  }
}

# Deployment audit records are write-once: each version is locked for the audit retention, so no
# one - the apply role that writes them least of all - can delete or overwrite one before then
# (a delete only adds a marker; the locked version stays). Envs whose buckets may be destroyed
# with their data (force_destroy_buckets) lock in GOVERNANCE mode: an admin's destroy may bypass it,
# the pipeline roles never (s3:BypassGovernanceRetention is denied them, modules/github-oidc).
# Everywhere else COMPLIANCE: not even the account's root user can shorten it.
resource "aws_s3_bucket_object_lock_configuration" "audit" {
  bucket = aws_s3_bucket.this["audit"].id
  rule {
    default_retention {
      mode = var.force_destroy_buckets ? "GOVERNANCE" : "COMPLIANCE"
      days = var.retention_days.audit
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.id
  rule {
    apply_server_side_encryption_by_default {
      # S3 server access logs cannot be delivered to a bucket encrypted with a customer key.
      sse_algorithm     = each.key == "access-logs" ? "AES256" : "aws:kms"
      kms_master_key_id = each.key == "access-logs" ? null : var.kms_key_arn
    }
    bucket_key_enabled = each.key != "access-logs"
  }
}

resource "aws_s3_bucket_logging" "this" {
  for_each = local.data_buckets

  bucket        = aws_s3_bucket.this[each.key].id
  target_bucket = aws_s3_bucket.this["access-logs"].id
  target_prefix = "${each.key}/"
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.id

  dynamic "rule" {
    for_each = local.all_buckets[each.key] == null ? [] : [local.all_buckets[each.key]]
    content {
      id     = "expire-after-${rule.value}-days"
      status = "Enabled"
      filter {}
      expiration {
        days = rule.value
      }
      noncurrent_version_expiration {
        noncurrent_days = 30
      }
    }
  }

  rule {
    id     = "abort-incomplete-uploads"
    status = "Enabled"
    filter {}
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
}

data "aws_iam_policy_document" "bucket" {
  for_each = aws_s3_bucket.this

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [each.value.arn, "${each.value.arn}/*"]
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

  dynamic "statement" {
    for_each = each.key == "access-logs" ? [1] : []
    content {
      sid       = "ServerAccessLogsDelivery"
      actions   = ["s3:PutObject"]
      resources = ["${each.value.arn}/*"]
      principals {
        type        = "Service"
        identifiers = ["logging.s3.amazonaws.com"]
      }
      condition {
        test     = "StringEquals"
        variable = "aws:SourceAccount"
        values   = [data.aws_caller_identity.current.account_id]
      }
    }
  }
}

resource "aws_s3_bucket_policy" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.id
  policy = data.aws_iam_policy_document.bucket[each.key].json

  depends_on = [aws_s3_bucket_public_access_block.this]
}

resource "aws_s3_bucket_cors_configuration" "input" {
  count = length(var.cors_allowed_origins) > 0 ? 1 : 0

  bucket = aws_s3_bucket.this["input"].id
  cors_rule {
    allowed_methods = ["POST"]
    allowed_origins = var.cors_allowed_origins
    allowed_headers = ["*"]
    max_age_seconds = 3000
  }
}

resource "aws_dynamodb_table" "documents" {
  name                        = module.names.documents_table
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "document_id"
  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = "document_id"
    type = "S"
  }
  attribute {
    name = "status"
    type = "S"
  }
  attribute {
    name = "created_at"
    type = "S"
  }

  global_secondary_index {
    name            = "status-created_at-index"
    hash_key        = "status"
    range_key       = "created_at"
    projection_type = "ALL"
  }

  ttl {
    attribute_name = "expires_at"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = var.point_in_time_recovery
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }
}

resource "aws_dynamodb_table" "config_cache" {
  name                        = module.names.config_table
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "document_type"
  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = "document_type"
    type = "S"
  }

  point_in_time_recovery {
    enabled = var.point_in_time_recovery
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }
}
