# What was created, under the names the app's settings use.

output "records_table_name" {
  description = "records.table (OCEAN__RECORDS__TABLE)"
  value       = aws_dynamodb_table.records.name
}

output "checkpoint_table_name" {
  description = "stream.checkpoint_table (OCEAN__STREAM__CHECKPOINT_TABLE)"
  value       = aws_dynamodb_table.checkpoints.name
}

output "media_bucket_name" {
  description = "media.bucket (OCEAN__MEDIA__BUCKET)"
  value       = aws_s3_bucket.media.bucket
}

output "votes_stream_name" {
  description = "The votes stream: stream.stream_prefix + votes"
  value       = aws_kinesis_stream.votes.name
}

output "votes_stream_arn" {
  description = "ARN of the votes stream"
  value       = aws_kinesis_stream.votes.arn
}

output "job_queue_urls" {
  description = "URL of each job queue (queue.queue_prefix + name), by port queue name"
  value       = { for name, q in aws_sqs_queue.jobs : name => q.url }
}

output "dead_letter_queue_urls" {
  description = "URL of each job queue's dead-letter queue, by port queue name"
  value       = { for name, q in aws_sqs_queue.dead : name => q.url }
}

output "upload_events_queue_url" {
  description = "Queue receiving the S3 ObjectCreated events of uploaded originals"
  value       = aws_sqs_queue.upload_events.url
}

output "apns_application_arn" {
  description = "notifications.apns_application_arn"
  value       = aws_sns_platform_application.apns.arn
}

output "apns_sandbox_application_arn" {
  description = "notifications.apns_sandbox_application_arn (null when not created)"
  value       = one(aws_sns_platform_application.apns_sandbox[*].arn)
}

output "db_endpoint" {
  description = "PostgreSQL host:port"
  value       = aws_db_instance.main.endpoint
}

output "db_master_user_secret_arn" {
  description = "Secrets Manager secret RDS keeps the master credentials in"
  value       = aws_db_instance.main.master_user_secret[0].secret_arn
}

output "database_url_secret_arn" {
  description = "Secret whose value the operator sets to the app's PostgreSQL URL"
  value       = aws_secretsmanager_secret.database_url.arn
}

output "load_balancer_dns_name" {
  description = "Point the API's DNS name (app_public_url) here"
  value       = aws_lb.server.dns_name
}

output "cluster_name" {
  description = "ECS cluster"
  value       = aws_ecs_cluster.main.name
}

output "service_names" {
  description = "ECS services"
  value       = { server = aws_ecs_service.server.name, worker = aws_ecs_service.worker.name }
}

output "app_environment" {
  description = "The OCEAN_ variables both services get (no secrets: the database URL comes from Secrets Manager)"
  value       = local.environment
}

output "kms_key_arn" {
  description = "The customer-managed key encrypting the data at rest"
  value       = aws_kms_key.main.arn
}
