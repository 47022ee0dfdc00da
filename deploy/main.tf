# Shared look-ups and the names derived from the variables.

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition

  # The stream port names a stream <stream_prefix><name> (ocean-kinesis).
  votes_stream_name = "${var.stream_prefix}${var.votes_stream_name}"

  # The queue port names a queue <queue_prefix><name> and its dead-letter queue
  # <queue_prefix><name>-dead (ocean-sqs; names here are plain, so never hashed).
  job_queues = toset(var.job_queue_names)

  # Token auth (a .p8 key) when the team and bundle ids are given, else certificate auth.
  apns_token_auth = var.apns_team_id != "" && var.apns_bundle_id != ""

  # What both containers are told: every port on its AWS service, named as created here.
  environment = merge(
    {
      OCEAN_SETTINGS                             = var.settings_name
      OCEAN__DATA_DIR                            = var.data_dir
      OCEAN__AWS__REGION                         = var.region
      OCEAN__RECORDS__BACKEND                    = "dynamodb"
      OCEAN__RECORDS__TABLE                      = aws_dynamodb_table.records.name
      OCEAN__MEDIA__BACKEND                      = "s3"
      OCEAN__MEDIA__BUCKET                       = aws_s3_bucket.media.bucket
      OCEAN__STREAM__BACKEND                     = "kinesis"
      OCEAN__STREAM__STREAM_PREFIX               = var.stream_prefix
      OCEAN__STREAM__CHECKPOINT_TABLE            = aws_dynamodb_table.checkpoints.name
      OCEAN__STREAM__SHARDS                      = tostring(aws_kinesis_stream.votes.shard_count)
      OCEAN__QUEUE__BACKEND                      = "sqs"
      OCEAN__QUEUE__QUEUE_PREFIX                 = var.queue_prefix
      OCEAN__QUEUE__MAX_RECEIVES                 = tostring(var.queue_max_receives)
      OCEAN__PLACES__BACKEND                     = "postgres"
      OCEAN__SEARCH__BACKEND                     = "postgres"
      OCEAN__NOTIFICATIONS__BACKEND              = "sns"
      OCEAN__NOTIFICATIONS__APNS_APPLICATION_ARN = aws_sns_platform_application.apns.arn
      OCEAN__APP__LOG_FORMAT                     = "json"
      OCEAN__APP__PUBLIC_URL                     = var.app_public_url
    },
    var.apns_sandbox_application_name == "" ? {} : {
      OCEAN__NOTIFICATIONS__APNS_SANDBOX_APPLICATION_ARN = aws_sns_platform_application.apns_sandbox[0].arn
    },
    var.media_public_url == "" ? {} : {
      OCEAN__MEDIA__PUBLIC_URL = var.media_public_url
    },
    var.extra_environment,
  )

  # The PostgreSQL URL, from Secrets Manager, for both PostgreSQL ports.
  secrets = [
    { name = "OCEAN__PLACES__URL", valueFrom = aws_secretsmanager_secret.database_url.arn },
    { name = "OCEAN__SEARCH__URL", valueFrom = aws_secretsmanager_secret.database_url.arn },
  ]
}
