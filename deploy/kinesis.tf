# The votes stream (ocean-kinesis names it <stream_prefix>votes), KMS-encrypted.

resource "aws_kinesis_stream" "votes" {
  name             = local.votes_stream_name
  shard_count      = var.stream_shard_count
  retention_period = var.stream_retention_hours
  encryption_type  = "KMS"
  kms_key_id       = aws_kms_key.main.arn

  stream_mode_details {
    stream_mode = "PROVISIONED"
  }
}
