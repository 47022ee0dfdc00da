# The game's job queues (<queue_prefix><name>), each with its dead-letter queue
# (<queue_prefix><name>-dead) and a redrive policy after queue_max_receives receives, as
# ocean-sqs creates them; plus the queue S3 announces uploaded originals on.

resource "aws_sqs_queue" "dead" {
  for_each                  = local.job_queues
  name                      = "${var.queue_prefix}${each.value}${var.dead_letter_suffix}"
  message_retention_seconds = var.dead_letter_retention_seconds
  max_message_size          = var.queue_max_message_size
  sqs_managed_sse_enabled   = true
}

resource "aws_sqs_queue" "jobs" {
  for_each                   = local.job_queues
  name                       = "${var.queue_prefix}${each.value}"
  visibility_timeout_seconds = var.queue_visibility_timeout_seconds
  message_retention_seconds  = var.queue_message_retention_seconds
  max_message_size           = var.queue_max_message_size
  sqs_managed_sse_enabled    = true

  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dead[each.key].arn
    maxReceiveCount     = var.queue_max_receives
  })
}

resource "aws_sqs_queue_redrive_allow_policy" "dead" {
  for_each  = local.job_queues
  queue_url = aws_sqs_queue.dead[each.key].id

  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.jobs[each.key].arn]
  })
}

# S3 ObjectCreated events of uploads. SSE-SQS, not the customer key: S3 can then send
# without a key-policy grant.
resource "aws_sqs_queue" "upload_events_dead" {
  name                      = "${var.queue_prefix}${var.upload_events_queue_name}${var.dead_letter_suffix}"
  message_retention_seconds = var.dead_letter_retention_seconds
  max_message_size          = var.queue_max_message_size
  sqs_managed_sse_enabled   = true
}

resource "aws_sqs_queue" "upload_events" {
  name                       = "${var.queue_prefix}${var.upload_events_queue_name}"
  visibility_timeout_seconds = var.queue_visibility_timeout_seconds
  message_retention_seconds  = var.queue_message_retention_seconds
  max_message_size           = var.queue_max_message_size
  sqs_managed_sse_enabled    = true

  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.upload_events_dead.arn
    maxReceiveCount     = var.queue_max_receives
  })
}

data "aws_iam_policy_document" "upload_events" {
  statement {
    sid       = "S3SendsUploadEvents"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.upload_events.arn]
    principals {
      type        = "Service"
      identifiers = ["s3.amazonaws.com"]
    }
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_s3_bucket.media.arn]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_sqs_queue_policy" "upload_events" {
  queue_url = aws_sqs_queue.upload_events.id
  policy    = data.aws_iam_policy_document.upload_events.json
}
