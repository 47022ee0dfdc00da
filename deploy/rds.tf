# PostgreSQL 15 for the places and search ports (ocean-postgres), in the private subnets,
# reachable only from the server and worker tasks. RDS generates the master password and
# keeps it in Secrets Manager; the app reads its own URL from a separate secret.

resource "aws_db_subnet_group" "main" {
  name       = var.db_identifier
  subnet_ids = var.private_subnet_ids
}

resource "aws_security_group" "db" {
  name        = "${var.project}-db"
  description = "PostgreSQL: reachable from the server and worker tasks only"
  vpc_id      = var.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "db_from_services" {
  security_group_id            = aws_security_group.db.id
  description                  = "PostgreSQL from the ECS services"
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  referenced_security_group_id = aws_security_group.services.id
}

resource "aws_db_parameter_group" "main" {
  name   = var.db_identifier
  family = var.db_parameter_group_family

  parameter {
    name  = "log_statement"
    value = "ddl"
  }

  parameter {
    name  = "log_min_duration_statement"
    value = tostring(var.db_log_min_duration_ms)
  }

  # ocean-postgres connects without TLS (tokio-postgres NoTls), so TLS cannot be forced
  # until the adapter gains it; traffic stays inside the VPC.
  parameter {
    name  = "rds.force_ssl"
    value = "0"
  }
}

resource "aws_cloudwatch_log_group" "db" {
  name              = "/aws/rds/instance/${var.db_identifier}/postgresql"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.main.arn
}

resource "aws_db_instance" "main" {
  #checkov:skip=CKV_AWS_161:IAM database authentication needs short-lived tokens the app does not fetch; it connects with a URL from Secrets Manager.
  #checkov:skip=CKV2_AWS_69:ocean-postgres connects without TLS (NoTls), so rds.force_ssl stays 0; see README.
  identifier     = var.db_identifier
  engine         = "postgres"
  engine_version = var.db_engine_version
  instance_class = var.db_instance_class
  db_name        = var.db_name

  username                      = var.db_master_username
  manage_master_user_password   = true
  master_user_secret_kms_key_id = aws_kms_key.main.arn

  allocated_storage     = var.db_allocated_storage_gb
  max_allocated_storage = var.db_max_allocated_storage_gb
  storage_type          = "gp3"
  storage_encrypted     = true
  kms_key_id            = aws_kms_key.main.arn

  db_subnet_group_name   = aws_db_subnet_group.main.name
  vpc_security_group_ids = [aws_security_group.db.id]
  publicly_accessible    = false
  multi_az               = var.db_multi_az
  parameter_group_name   = aws_db_parameter_group.main.name

  backup_retention_period    = var.db_backup_retention_days
  copy_tags_to_snapshot      = true
  deletion_protection        = var.db_deletion_protection
  skip_final_snapshot        = false
  final_snapshot_identifier  = "${var.db_identifier}-final"
  auto_minor_version_upgrade = true

  enabled_cloudwatch_logs_exports       = ["postgresql", "upgrade"]
  monitoring_interval                   = var.db_monitoring_interval_seconds
  monitoring_role_arn                   = var.db_monitoring_interval_seconds > 0 ? aws_iam_role.rds_monitoring.arn : null
  performance_insights_enabled          = true
  performance_insights_kms_key_id       = aws_kms_key.main.arn
  performance_insights_retention_period = 7

  depends_on = [aws_cloudwatch_log_group.db]
}

# The app's PostgreSQL connection URL (with its role and password), for OCEAN__PLACES__URL
# and OCEAN__SEARCH__URL. Terraform creates it without a value (no secret in the repo or
# the state); the operator puts the value once (README, "The database URL").
resource "aws_secretsmanager_secret" "database_url" {
  #checkov:skip=CKV2_AWS_57:The URL is of the app's own database role, put by the operator; rotating it needs a rotation function that rewrites the URL, not provided here.
  name        = var.database_url_name
  description = "PostgreSQL URL of ${var.project} (places and search ports)"
  kms_key_id  = aws_kms_key.main.arn
}
