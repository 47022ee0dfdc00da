# Roles: the task execution role (pull the image, write logs, read the database URL secret),
# the task role (exactly the tables, bucket, stream, queues and SNS applications above) and
# RDS enhanced monitoring.

data "aws_iam_policy_document" "ecs_tasks_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

# --- Execution role ------------------------------------------------------------------------

resource "aws_iam_role" "execution" {
  name               = "${var.project}-ecs-execution"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

resource "aws_iam_role_policy_attachment" "execution_managed" {
  role       = aws_iam_role.execution.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

data "aws_iam_policy_document" "execution" {
  statement {
    sid       = "ReadDatabaseUrl"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [aws_secretsmanager_secret.database_url.arn]
  }

  statement {
    sid       = "DecryptDatabaseUrl"
    actions   = ["kms:Decrypt"]
    resources = [aws_kms_key.main.arn]
  }
}

resource "aws_iam_role_policy" "execution" {
  name   = "${var.project}-ecs-execution"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution.json
}

# --- Task role (what the app itself calls) ---------------------------------------------------

data "aws_iam_policy_document" "task" {
  # ocean-dynamodb: get/put/delete, batches, queries on the table and its GSIs, and
  # TransactWriteItems (authorised by the item actions it contains).
  statement {
    sid = "Records"
    actions = [
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:UpdateItem",
      "dynamodb:DeleteItem",
      "dynamodb:ConditionCheckItem",
      "dynamodb:BatchGetItem",
      "dynamodb:BatchWriteItem",
      "dynamodb:Query",
    ]
    resources = [
      aws_dynamodb_table.records.arn,
      "${aws_dynamodb_table.records.arn}/index/*",
    ]
  }

  # ocean-kinesis checkpoints.
  statement {
    sid       = "Checkpoints"
    actions   = ["dynamodb:GetItem", "dynamodb:PutItem"]
    resources = [aws_dynamodb_table.checkpoints.arn]
  }

  statement {
    sid = "VotesStream"
    actions = [
      "kinesis:PutRecords",
      "kinesis:GetRecords",
      "kinesis:GetShardIterator",
      "kinesis:ListShards",
      "kinesis:DescribeStreamSummary",
    ]
    resources = [aws_kinesis_stream.votes.arn]
  }

  # ocean-s3: objects, and the presigned POST uploads and GETs it signs with this role.
  statement {
    sid       = "MediaObjects"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${aws_s3_bucket.media.arn}/*"]
  }

  # HeadBucket, and a 404 (not 403) for a missing key.
  statement {
    sid       = "MediaBucket"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.media.arn]
  }

  # SSE-KMS objects and the KMS-encrypted stream.
  statement {
    sid       = "DataKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.main.arn]
  }

  # ocean-sqs on the job queues and their dead-letter queues (no CreateQueue: they exist).
  statement {
    sid = "JobQueues"
    actions = [
      "sqs:SendMessage",
      "sqs:ReceiveMessage",
      "sqs:DeleteMessage",
      "sqs:ChangeMessageVisibility",
      "sqs:GetQueueUrl",
      "sqs:GetQueueAttributes",
    ]
    resources = concat(
      [for q in aws_sqs_queue.jobs : q.arn],
      [for q in aws_sqs_queue.dead : q.arn],
    )
  }

  # ocean-sns: an endpoint per device under the APNs applications, then pushes to it.
  statement {
    sid     = "PushApplications"
    actions = ["sns:CreatePlatformEndpoint"]
    resources = concat(
      [aws_sns_platform_application.apns.arn],
      [for a in aws_sns_platform_application.apns_sandbox : a.arn],
    )
  }

  statement {
    sid = "PushEndpoints"
    actions = [
      "sns:GetEndpointAttributes",
      "sns:SetEndpointAttributes",
      "sns:Publish",
    ]
    resources = concat(
      ["arn:${local.partition}:sns:${var.region}:${local.account_id}:endpoint/APNS/${aws_sns_platform_application.apns.name}/*"],
      [for a in aws_sns_platform_application.apns_sandbox : "arn:${local.partition}:sns:${var.region}:${local.account_id}:endpoint/APNS_SANDBOX/${a.name}/*"],
    )
  }
}

resource "aws_iam_role" "task" {
  name               = "${var.project}-task"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

resource "aws_iam_role_policy" "task" {
  name   = "${var.project}-task"
  role   = aws_iam_role.task.id
  policy = data.aws_iam_policy_document.task.json
}

# --- RDS enhanced monitoring -----------------------------------------------------------------

data "aws_iam_policy_document" "rds_monitoring_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["monitoring.rds.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "rds_monitoring" {
  name               = "${var.project}-rds-monitoring"
  assume_role_policy = data.aws_iam_policy_document.rds_monitoring_assume.json
}

resource "aws_iam_role_policy_attachment" "rds_monitoring" {
  role       = aws_iam_role.rds_monitoring.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
}
