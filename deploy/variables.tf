# Every name, size and count of the deployment. Defaults match settings/aws.toml; the
# sensitive variables (APNs credentials) have no default and are never written to the repo.

# --- General ---------------------------------------------------------------------------

variable "project" {
  description = "Prefix of the names of resources that have no variable of their own (cluster, roles, security groups, log groups, KMS alias...)."
  type        = string
  default     = "localpictourney"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.project))
    error_message = "Use 2 to 31 lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "region" {
  description = "AWS region of every resource (passed to the app as OCEAN__AWS__REGION)."
  type        = string
  default     = "us-east-1"
}

variable "tags" {
  description = "Extra tags on every resource (the provider's default_tags; Project is always set)."
  type        = map(string)
  default     = {}
}

variable "kms_deletion_window_days" {
  description = "Days before the deployment's customer-managed KMS key is deleted after a destroy."
  type        = number
  default     = 30
}

variable "log_retention_days" {
  description = "Retention of the CloudWatch log groups (server, worker, RDS exports)."
  type        = number
  default     = 365
}

# --- Network (an existing VPC) -----------------------------------------------------------

variable "vpc_id" {
  description = "The VPC everything runs in."
  type        = string
}

variable "private_subnet_ids" {
  description = "Private subnets (at least two AZs) for the ECS tasks and RDS; they need a NAT gateway or VPC endpoints to reach the AWS APIs and ECR."
  type        = list(string)
}

variable "public_subnet_ids" {
  description = "Public subnets (at least two AZs) for the server's load balancer."
  type        = list(string)
}

variable "alb_ingress_cidrs" {
  description = "CIDR blocks allowed to reach the load balancer on 80 (redirect) and 443."
  type        = list(string)
  default     = ["0.0.0.0/0"]
}

variable "certificate_arn" {
  description = "ACM certificate ARN for the load balancer's HTTPS listener."
  type        = string
}

variable "alb_name" {
  description = "Name of the server's application load balancer (at most 32 characters)."
  type        = string
  default     = "localpictourney"
}

variable "alb_deletion_protection" {
  description = "Whether the load balancer refuses deletion."
  type        = bool
  default     = true
}

variable "ssl_policy" {
  description = "TLS policy of the HTTPS listener."
  type        = string
  default     = "ELBSecurityPolicy-TLS13-1-2-2021-06"
}

# --- DynamoDB ------------------------------------------------------------------------------

variable "records_table_name" {
  description = "DynamoDB table of every record (records.table)."
  type        = string
  default     = "localpictourney"
}

variable "checkpoint_table_name" {
  description = "DynamoDB table of the stream consumers' checkpoints (stream.checkpoint_table)."
  type        = string
  default     = "localpictourney-checkpoints"
}

variable "dynamodb_deletion_protection" {
  description = "Whether the DynamoDB tables refuse deletion."
  type        = bool
  default     = true
}

# --- S3 --------------------------------------------------------------------------------------

variable "media_bucket_name" {
  description = "S3 bucket of photos, renditions and uploads (media.bucket); globally unique."
  type        = string
  default     = "localpictourney-media"
}

variable "media_public_url" {
  description = "Public base URL (a CDN) media is read from without signing (media.public_url); empty: presigned GETs."
  type        = string
  default     = ""
}

variable "cors_allowed_origins" {
  description = "Origins allowed to POST browser uploads to the media bucket and GET media from it."
  type        = list(string)
}

variable "cors_max_age_seconds" {
  description = "How long browsers may cache the bucket's CORS preflight answer."
  type        = number
  default     = 3000
}

variable "upload_object_prefix" {
  description = "Key prefix of uploaded originals (the app stores photos/<id>/original)."
  type        = string
  default     = "photos/"
}

variable "upload_object_suffix" {
  description = "Key suffix of uploaded originals, for the event notification filter."
  type        = string
  default     = "/original"
}

variable "abort_incomplete_upload_days" {
  description = "Days after which incomplete (abandoned) multipart uploads are removed."
  type        = number
  default     = 2
}

variable "noncurrent_version_expiration_days" {
  description = "Days after which overwritten or deleted object versions are removed."
  type        = number
  default     = 30
}

variable "upload_notifications_enabled" {
  description = "Whether S3 sends an ObjectCreated event for each uploaded original to the upload-events queue."
  type        = bool
  default     = true
}

# --- Kinesis ---------------------------------------------------------------------------------

variable "stream_prefix" {
  description = "Prefix of every Kinesis stream name (stream.stream_prefix)."
  type        = string
  default     = "localpictourney-"
}

variable "votes_stream_name" {
  description = "The game's votes stream, without the prefix (tourney-core's VOTES_STREAM)."
  type        = string
  default     = "votes"
}

variable "stream_shard_count" {
  description = "Shards of the votes stream (stream.shards)."
  type        = number
  default     = 2
}

variable "stream_retention_hours" {
  description = "Hours a vote stays readable in the stream (24 to 8760)."
  type        = number
  default     = 168
}

# --- SQS -------------------------------------------------------------------------------------

variable "queue_prefix" {
  description = "Prefix of every SQS queue name (queue.queue_prefix), at most 40 characters."
  type        = string
  default     = "localpictourney-"
}

variable "job_queue_names" {
  description = "The game's job queues without the prefix (tourney-core's JOB_QUEUES: MEDIA_QUEUE, FACEBOOK_SYNC_QUEUE); the upload-events queue is declared apart because S3 writes to it."
  type        = list(string)
  default     = ["media", "facebook-sync"]
}

variable "upload_events_queue_name" {
  description = "Queue (without the prefix) receiving S3 ObjectCreated events of uploads (tourney-core's UPLOAD_EVENTS_QUEUE); the worker reads it like a job queue and starts processing each uploaded original."
  type        = string
  default     = "media-uploaded"
}

variable "dead_letter_suffix" {
  description = "Suffix of each queue's dead-letter queue (ocean::queue::dead_letter_queue)."
  type        = string
  default     = "-dead"
}

variable "queue_max_receives" {
  description = "Receives before a message moves to the dead-letter queue (queue.max_receives, redrive maxReceiveCount)."
  type        = number
  default     = 5
}

variable "queue_visibility_timeout_seconds" {
  description = "Default visibility timeout of the job queues."
  type        = number
  default     = 60
}

variable "queue_message_retention_seconds" {
  description = "Retention of the job queues' messages."
  type        = number
  default     = 345600
}

variable "dead_letter_retention_seconds" {
  description = "Retention of the dead-letter queues' messages (the adapter's DEAD_LETTER_RETENTION_SECONDS)."
  type        = number
  default     = 1209600
}

variable "queue_max_message_size" {
  description = "MaximumMessageSize of every queue; the AWS provider 5.x accepts at most 262144 (256 KiB)."
  type        = number
  default     = 262144
}

# --- SNS -------------------------------------------------------------------------------------

variable "apns_application_name" {
  description = "Name of the SNS platform application for production APNs."
  type        = string
  default     = "localpictourney"
}

variable "apns_sandbox_application_name" {
  description = "Name of the SNS platform application for the APNs sandbox; empty: none is created."
  type        = string
  default     = ""
}

variable "apns_platform_credential" {
  description = "APNs credential: the .p8 signing key (token auth) or the certificate's private key (certificate auth)."
  type        = string
  sensitive   = true
}

variable "apns_platform_principal" {
  description = "APNs principal: the signing key id (token auth) or the SSL certificate (certificate auth)."
  type        = string
  sensitive   = true
}

variable "apns_team_id" {
  description = "Apple team id for token auth; empty for certificate auth."
  type        = string
  default     = ""
}

variable "apns_bundle_id" {
  description = "App bundle id for token auth; empty for certificate auth."
  type        = string
  default     = ""
}

# --- RDS PostgreSQL --------------------------------------------------------------------------

variable "db_identifier" {
  description = "RDS instance identifier."
  type        = string
  default     = "localpictourney"
}

variable "db_name" {
  description = "Database created in the instance (places and tag search)."
  type        = string
  default     = "localpictourney"
}

variable "db_master_username" {
  description = "Master user name; its password is generated and kept by RDS in Secrets Manager."
  type        = string
  default     = "tourney_admin"
}

variable "db_engine_version" {
  description = "PostgreSQL engine version (15.x)."
  type        = string
  default     = "15"
}

variable "db_parameter_group_family" {
  description = "Parameter group family matching db_engine_version."
  type        = string
  default     = "postgres15"
}

variable "db_instance_class" {
  description = "RDS instance class."
  type        = string
  default     = "db.t4g.medium"
}

variable "db_allocated_storage_gb" {
  description = "Initial storage in GiB."
  type        = number
  default     = 20
}

variable "db_max_allocated_storage_gb" {
  description = "Storage autoscaling ceiling in GiB."
  type        = number
  default     = 100
}

variable "db_multi_az" {
  description = "Whether the instance has a standby in another AZ."
  type        = bool
  default     = true
}

variable "db_backup_retention_days" {
  description = "Days of automated backups."
  type        = number
  default     = 7
}

variable "db_deletion_protection" {
  description = "Whether the instance refuses deletion."
  type        = bool
  default     = true
}

variable "db_monitoring_interval_seconds" {
  description = "Enhanced monitoring interval (0 turns it off; 1, 5, 10, 15, 30 or 60)."
  type        = number
  default     = 60
}

variable "db_log_min_duration_ms" {
  description = "Statements slower than this are logged (log_min_duration_statement)."
  type        = number
  default     = 500
}

variable "database_url_name" {
  description = "Secrets Manager secret holding the app's PostgreSQL URL (OCEAN__PLACES__URL and OCEAN__SEARCH__URL); created empty, its value is put by the operator."
  type        = string
  default     = "localpictourney/database-url"
}

# --- ECS -------------------------------------------------------------------------------------

variable "cluster_name" {
  description = "ECS cluster name."
  type        = string
  default     = "localpictourney"
}

variable "container_image" {
  description = "Image holding the tourney-server binary (e.g. <account>.dkr.ecr.<region>.amazonaws.com/localpictourney:<tag>)."
  type        = string
}

variable "container_port" {
  description = "Port the server listens on in its container (OCEAN__APP__LISTEN=0.0.0.0:<port>)."
  type        = number
  default     = 8080
}

variable "server_service_name" {
  description = "ECS service (and container) name of the HTTP server."
  type        = string
  default     = "localpictourney-server"
}

variable "worker_service_name" {
  description = "ECS service (and container) name of the worker."
  type        = string
  default     = "localpictourney-worker"
}

variable "server_command" {
  description = "Command of the server container (the image's tourney-server): HTTP only, the worker service scores."
  type        = list(string)
  default     = ["tourney-server", "serve", "--no-worker"]
}

variable "worker_command" {
  description = "Command of the worker container."
  type        = list(string)
  default     = ["tourney-server", "worker"]
}

variable "server_cpu" {
  description = "Fargate CPU units of a server task."
  type        = number
  default     = 512
}

variable "server_memory" {
  description = "Fargate memory (MiB) of a server task."
  type        = number
  default     = 1024
}

variable "worker_cpu" {
  description = "Fargate CPU units of a worker task."
  type        = number
  default     = 1024
}

variable "worker_memory" {
  description = "Fargate memory (MiB) of a worker task."
  type        = number
  default     = 2048
}

variable "server_desired_count" {
  description = "Server tasks at creation (autoscaling moves it between min and max)."
  type        = number
  default     = 2
}

variable "server_min_count" {
  description = "Fewest server tasks."
  type        = number
  default     = 2
}

variable "server_max_count" {
  description = "Most server tasks."
  type        = number
  default     = 10
}

variable "worker_desired_count" {
  description = "Worker tasks at creation."
  type        = number
  default     = 1
}

variable "worker_min_count" {
  description = "Fewest worker tasks."
  type        = number
  default     = 1
}

variable "worker_max_count" {
  description = "Most worker tasks."
  type        = number
  default     = 4
}

variable "cpu_target_percent" {
  description = "Average CPU utilisation the target-tracking policies keep each service at."
  type        = number
  default     = 60
}

variable "scale_in_cooldown_seconds" {
  description = "Seconds between scale-in steps."
  type        = number
  default     = 300
}

variable "scale_out_cooldown_seconds" {
  description = "Seconds between scale-out steps."
  type        = number
  default     = 60
}

variable "health_check_path" {
  description = "Path the load balancer checks on the server."
  type        = string
  default     = "/v1/test"
}

variable "server_health_check_grace_seconds" {
  description = "Seconds a new server task has before failed health checks count (start-up runs migrations and loads the places dataset)."
  type        = number
  default     = 180
}

variable "data_dir" {
  description = "Writable scratch directory in the containers (data_dir), on the task's ephemeral storage; the root filesystem is read-only."
  type        = string
  default     = "/var/lib/tourney"
}

variable "app_public_url" {
  description = "Public base URL of the API (app.public_url, for share links), e.g. https://api.example.com."
  type        = string
}

variable "settings_name" {
  description = "OCEAN_SETTINGS: the settings file ./settings/<name>.toml in the image's working directory (the repo's settings/aws.toml); empty: none, the OCEAN__ variables alone."
  type        = string
  default     = "aws"
}

variable "extra_environment" {
  description = "More OCEAN__ settings for both services (no secrets), e.g. { OCEAN__APP__CATEGORIES = \"...\" }."
  type        = map(string)
  default     = {}
}
