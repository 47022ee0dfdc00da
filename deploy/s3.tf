# The media bucket (ocean-s3): private, encrypted, versioned, CORS for browser POST uploads,
# lifecycle for abandoned uploads, and an ObjectCreated notification for uploaded originals.

resource "aws_s3_bucket" "media" {
  #checkov:skip=CKV_AWS_18:Server access logging needs a separate log bucket; CloudTrail data events are the choice left to the account.
  #checkov:skip=CKV_AWS_144:Cross-region replication is a disaster-recovery choice outside this deployment.
  bucket = var.media_bucket_name
}

resource "aws_s3_bucket_public_access_block" "media" {
  bucket                  = aws_s3_bucket.media.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "media" {
  bucket = aws_s3_bucket.media.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_versioning" "media" {
  bucket = aws_s3_bucket.media.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "media" {
  bucket = aws_s3_bucket.media.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.main.arn
    }
    bucket_key_enabled = true
  }
}

# Browser uploads are presigned POST forms to the bucket; reads are presigned GETs.
resource "aws_s3_bucket_cors_configuration" "media" {
  bucket = aws_s3_bucket.media.id
  cors_rule {
    allowed_methods = ["POST", "GET", "HEAD"]
    allowed_origins = var.cors_allowed_origins
    allowed_headers = ["*"]
    expose_headers  = ["ETag"]
    max_age_seconds = var.cors_max_age_seconds
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "media" {
  bucket = aws_s3_bucket.media.id

  # Abandoned uploads: multipart uploads never completed under the upload prefix.
  rule {
    id     = "abandoned-uploads"
    status = "Enabled"
    filter {
      prefix = var.upload_object_prefix
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = var.abort_incomplete_upload_days
    }
  }

  # Everywhere: incomplete multipart uploads and the versions that versioning keeps.
  rule {
    id     = "old-versions"
    status = "Enabled"
    # An empty prefix: the whole bucket (the provider 5.86 to 5.97 warns on `filter {}`).
    filter {
      prefix = ""
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = var.abort_incomplete_upload_days
    }
    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expiration_days
    }
    expiration {
      expired_object_delete_marker = true
    }
  }

  depends_on = [aws_s3_bucket_versioning.media]
}

data "aws_iam_policy_document" "media_bucket" {
  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      aws_s3_bucket.media.arn,
      "${aws_s3_bucket.media.arn}/*",
    ]
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

resource "aws_s3_bucket_policy" "media" {
  bucket     = aws_s3_bucket.media.id
  policy     = data.aws_iam_policy_document.media_bucket.json
  depends_on = [aws_s3_bucket_public_access_block.media]
}

# Each uploaded original (photos/<id>/original) is announced on the upload-events queue.
resource "aws_s3_bucket_notification" "media" {
  bucket = aws_s3_bucket.media.id

  dynamic "queue" {
    for_each = var.upload_notifications_enabled ? [1] : []
    content {
      id            = "uploaded-originals"
      queue_arn     = aws_sqs_queue.upload_events.arn
      events        = ["s3:ObjectCreated:*"]
      filter_prefix = var.upload_object_prefix
      filter_suffix = var.upload_object_suffix
    }
  }

  depends_on = [aws_sqs_queue_policy.upload_events]
}
