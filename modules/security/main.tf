# The customer-managed KMS key every data store uses, and one IAM role per Lambda function whose
# policy grants exactly the calls that function makes (tests/infra/test_least_privilege.py records
# the calls each handler makes in the integration flow and checks them against these statements).
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
  partition = data.aws_partition.current.partition
  account   = data.aws_caller_identity.current.account_id
  region    = data.aws_region.current.id
  arn_head  = "arn:${local.partition}"

  input_bucket_arn  = "${local.arn_head}:s3:::${module.names.buckets["input"]}"
  output_bucket_arn = "${local.arn_head}:s3:::${module.names.buckets["output"]}"
  documents_arn     = "${local.arn_head}:dynamodb:${local.region}:${local.account}:table/${module.names.documents_table}"
  config_table_arn  = "${local.arn_head}:dynamodb:${local.region}:${local.account}:table/${module.names.config_table}"
  intake_queue_arn  = "${local.arn_head}:sqs:${local.region}:${local.account}:${module.names.intake_queue}"
  intake_dlq_arn    = "${local.arn_head}:sqs:${local.region}:${local.account}:${module.names.intake_dlq}"
  bda_events_arn    = "${local.arn_head}:sqs:${local.region}:${local.account}:${module.names.bda_events_queue}"
  callbacks_arn     = "${local.arn_head}:sqs:${local.region}:${local.account}:${module.names.callbacks_queue}"
  state_machine_arn = "${local.arn_head}:states:${local.region}:${local.account}:stateMachine:${module.names.state_machine}"
  version_param_arn = "${local.arn_head}:ssm:${local.region}:${local.account}:parameter${module.names.config_version_parameter}"
  bda_param_arn     = "${local.arn_head}:ssm:${local.region}:${local.account}:parameter${module.names.bda_project_parameter}"
  # Secrets Manager appends a random 6-character suffix to secret ARNs.
  callback_secret_arn = "${local.arn_head}:secretsmanager:${local.region}:${local.account}:secret:${module.names.callback_secret}-??????"
  bda_project_arn     = "${local.arn_head}:bedrock:${local.region}:${local.account}:data-automation-project/*"
  bda_profile_arn     = "${local.arn_head}:bedrock:${local.region}:${local.account}:data-automation-profile/${var.bda_profile_id}"
  bda_invocation_arn  = "${local.arn_head}:bedrock:${local.region}:${local.account}:data-automation-invocation/*"

  read_configs = [
    { sid = "ReadConfigCache", actions = ["dynamodb:Scan"], resources = [local.config_table_arn] },
    { sid = "ReadConfigVersion", actions = ["ssm:GetParameter"], resources = [local.version_param_arn] },
  ]
  use_key = [
    { sid = "UseDataKey", actions = ["kms:Decrypt", "kms:GenerateDataKey"], resources = [aws_kms_key.data.arn] },
  ]
  # Every function that can end a document announces it: its callback goes to the callbacks queue
  # (idp_common.finalize); status_updater signs and delivers it.
  queue_callbacks = [
    { sid = "QueueCallbacks", actions = ["sqs:SendMessage"], resources = [local.callbacks_arn] },
  ]

  # function -> statements. Every action is one the function's handler calls (or, for presigned
  # URLs and the SQS event source mapping, one made with the function's credentials).
  function_permissions = {
    presigned_url_generator = concat(local.read_configs, local.use_key, [
      { sid = "CreateAndReadDocuments", actions = ["dynamodb:GetItem", "dynamodb:PutItem"], resources = [local.documents_arn] },
      { sid = "PresignUploads", actions = ["s3:PutObject"], resources = ["${local.input_bucket_arn}/uploads/*"] },
      { sid = "PresignResults", actions = ["s3:GetObject"], resources = ["${local.output_bucket_arn}/results/*"] },
    ])
    sqs_poller = concat(local.read_configs, local.use_key, local.queue_callbacks, [
      { sid = "ConsumeIntakeQueue", actions = ["sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"], resources = [local.intake_queue_arn] },
      { sid = "QueueDocuments", actions = ["dynamodb:GetItem", "dynamodb:UpdateItem"], resources = [local.documents_arn] },
      { sid = "StartFlow", actions = ["states:StartExecution"], resources = [local.state_machine_arn] },
      { sid = "RemoveRejectedUploads", actions = ["s3:DeleteObject"], resources = ["${local.input_bucket_arn}/uploads/*"] },
    ])
    bda_orchestrator = concat(local.use_key, [
      { sid = "ReadBdaProjectArn", actions = ["ssm:GetParameter"], resources = [local.bda_param_arn] },
      { sid = "InvokeBda", actions = ["bedrock:InvokeDataAutomationAsync"], resources = [local.bda_project_arn, local.bda_profile_arn] },
      # The job's status, read when its ended event arrives and once more at the execution's deadline.
      { sid = "ReadBdaStatus", actions = ["bedrock:GetDataAutomationStatus"], resources = [local.bda_invocation_arn] },
      { sid = "ConsumeBdaEvents", actions = ["sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"], resources = [local.bda_events_arn] },
      # The execution's task token and the job's invocation live on the document's record.
      { sid = "TrackBdaJobs", actions = ["dynamodb:GetItem", "dynamodb:UpdateItem"], resources = [local.documents_arn] },
      { sid = "ResumeFlow", actions = ["states:SendTaskFailure", "states:SendTaskSuccess"], resources = [local.state_machine_arn] },
      # BDA reads the input and writes its output with the caller's permissions.
      { sid = "BdaReadsUploads", actions = ["s3:GetObject"], resources = ["${local.input_bucket_arn}/uploads/*"] },
      { sid = "BdaWritesOutput", actions = ["s3:PutObject"], resources = ["${local.output_bucket_arn}/bda/*"] },
    ])
    language_detector = concat(local.read_configs, local.use_key, [
      { sid = "ReadBdaOutput", actions = ["s3:GetObject"], resources = ["${local.output_bucket_arn}/bda/*"] },
    ])
    document_classifier = concat(local.read_configs, local.use_key, [
      { sid = "ReadBdaOutput", actions = ["s3:GetObject"], resources = ["${local.output_bucket_arn}/bda/*"] },
    ])
    schema_extractor = concat(local.read_configs, local.use_key, [
      { sid = "ReadBdaOutput", actions = ["s3:GetObject"], resources = ["${local.output_bucket_arn}/bda/*"] },
      { sid = "WriteResults", actions = ["s3:PutObject"], resources = ["${local.output_bucket_arn}/results/*"] },
    ])
    status_updater = concat(local.use_key, local.queue_callbacks, [
      { sid = "RecordStatus", actions = ["dynamodb:UpdateItem"], resources = [local.documents_arn] },
      { sid = "ReadCallbackKey", actions = ["secretsmanager:GetSecretValue"], resources = [local.callback_secret_arn] },
      # The event source mapping consumes; the sender delays a failed callback's next attempt.
      { sid = "DeliverCallbacks", actions = ["sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"], resources = [local.callbacks_arn] },
    ])
    document_cleanup = concat(local.read_configs, local.use_key, local.queue_callbacks, [
      { sid = "FindStaleDocuments", actions = ["dynamodb:Query"], resources = ["${local.documents_arn}/index/*"] },
      { sid = "StopOverdueExecutions", actions = ["states:StopExecution"], resources = ["${local.arn_head}:states:${local.region}:${local.account}:execution:${module.names.state_machine}:*"] },
      { sid = "ExpireAndPurge", actions = ["dynamodb:DeleteItem", "dynamodb:UpdateItem"], resources = [local.documents_arn] },
      { sid = "ListObjects", actions = ["s3:ListBucket"], resources = [local.input_bucket_arn, local.output_bucket_arn] },
      { sid = "DeleteObjects", actions = ["s3:DeleteObject"], resources = ["${local.input_bucket_arn}/uploads/*", "${local.output_bucket_arn}/bda/*", "${local.output_bucket_arn}/results/*"] },
    ])
    dlq_analyzer = concat(local.use_key, local.queue_callbacks, [
      { sid = "DrainDlq", actions = ["sqs:DeleteMessage", "sqs:ReceiveMessage"], resources = [local.intake_dlq_arn] },
      { sid = "Redrive", actions = ["sqs:SendMessage"], resources = [local.intake_queue_arn] },
      { sid = "FailDocuments", actions = ["dynamodb:UpdateItem"], resources = [local.documents_arn] },
    ])
  }
}

# --- KMS -------------------------------------------------------------------------------------
data "aws_iam_policy_document" "key" {
  #checkov:skip=CKV_AWS_356:in a key policy, Resource "*" means this key only
  #checkov:skip=CKV_AWS_111:key policy: the account root must keep full control of its key
  #checkov:skip=CKV_AWS_109:key policy: the account root must keep full control of its key
  statement {
    sid       = "AccountAdministers"
    actions   = ["kms:*"] # key policies need the account root to keep the key manageable
    resources = ["*"]     # in a key policy, "*" means this key
    principals {
      type        = "AWS"
      identifiers = ["${local.arn_head}:iam::${local.account}:root"]
    }
  }

  statement {
    sid       = "CloudWatchLogs"
    actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*", "kms:DescribeKey"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["logs.${local.region}.amazonaws.com"]
    }
    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = ["${local.arn_head}:logs:${local.region}:${local.account}:log-group:*"]
    }
  }

  statement {
    sid       = "ServicesPublishToEncryptedQueuesAndTopics"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["s3.amazonaws.com", "cloudwatch.amazonaws.com", "events.amazonaws.com", "budgets.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account]
    }
  }
}

resource "aws_kms_key" "data" {
  description             = "${module.names.prefix} data key (S3, DynamoDB, SQS, SNS, logs, secrets)"
  enable_key_rotation     = true
  rotation_period_in_days = 365
  deletion_window_in_days = var.kms_deletion_window_days
  policy                  = data.aws_iam_policy_document.key.json
}

resource "aws_kms_alias" "data" {
  name          = "alias/${module.names.prefix}-data"
  target_key_id = aws_kms_key.data.key_id
}

# --- Lambda roles ----------------------------------------------------------------------------
data "aws_iam_policy_document" "assume_lambda" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account]
    }
  }
}

resource "aws_iam_role" "function" {
  for_each = local.function_permissions

  name                 = "${module.names.functions[each.key]}-role"
  assume_role_policy   = data.aws_iam_policy_document.assume_lambda.json
  max_session_duration = 3600
  path                 = module.names.workload_role_path
  permissions_boundary = "arn:${local.partition}:iam::${local.account}:policy/${module.names.workload_boundary}"
}

data "aws_iam_policy_document" "function" {
  for_each = local.function_permissions

  dynamic "statement" {
    for_each = each.value
    content {
      sid       = statement.value.sid
      actions   = statement.value.actions
      resources = statement.value.resources
    }
  }

  statement {
    sid       = "OwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${local.arn_head}:logs:${local.region}:${local.account}:log-group:/aws/lambda/${module.names.functions[each.key]}:*"]
  }

  statement {
    sid = "XRay"
    # X-Ray has no resource-level permissions: AWS requires "*" for these two actions.
    actions   = ["xray:PutTelemetryRecords", "xray:PutTraceSegments"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "function" {
  for_each = local.function_permissions

  name   = "least-privilege"
  role   = aws_iam_role.function[each.key].id
  policy = data.aws_iam_policy_document.function[each.key].json
}
