# ECS on Fargate: one image, two services. The server (`tourney-server serve`, behind an
# ALB, health check on /v1/test) and the worker (`tourney-server worker`), both scaled on
# CPU by target tracking, both told where everything is through OCEAN__ variables.

resource "aws_ecs_cluster" "main" {
  name = var.cluster_name

  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

resource "aws_cloudwatch_log_group" "server" {
  name              = "/ecs/${var.project}/server"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.main.arn
}

resource "aws_cloudwatch_log_group" "worker" {
  name              = "/ecs/${var.project}/worker"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.main.arn
}

# --- Security groups -------------------------------------------------------------------------

resource "aws_security_group" "alb" {
  name        = "${var.project}-alb"
  description = "Server load balancer: HTTPS (and HTTP, redirected) from the allowed CIDRs"
  vpc_id      = var.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "alb_https" {
  for_each          = toset(var.alb_ingress_cidrs)
  security_group_id = aws_security_group.alb.id
  description       = "HTTPS"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = each.value
}

resource "aws_vpc_security_group_ingress_rule" "alb_http" {
  #checkov:skip=CKV_AWS_260:Port 80 only answers a redirect to HTTPS; the allowed CIDRs are a variable.
  for_each          = toset(var.alb_ingress_cidrs)
  security_group_id = aws_security_group.alb.id
  description       = "HTTP, redirected to HTTPS"
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
  cidr_ipv4         = each.value
}

resource "aws_vpc_security_group_egress_rule" "alb_to_server" {
  security_group_id            = aws_security_group.alb.id
  description                  = "To the server tasks"
  ip_protocol                  = "tcp"
  from_port                    = var.container_port
  to_port                      = var.container_port
  referenced_security_group_id = aws_security_group.services.id
}

resource "aws_security_group" "services" {
  name        = "${var.project}-services"
  description = "Server and worker tasks"
  vpc_id      = var.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "services_from_alb" {
  security_group_id            = aws_security_group.services.id
  description                  = "The load balancer to the server"
  ip_protocol                  = "tcp"
  from_port                    = var.container_port
  to_port                      = var.container_port
  referenced_security_group_id = aws_security_group.alb.id
}

resource "aws_vpc_security_group_egress_rule" "services_https" {
  security_group_id = aws_security_group.services.id
  description       = "AWS APIs, ECR, APNs via SNS, the Facebook Graph API (HTTPS)"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_egress_rule" "services_db" {
  security_group_id            = aws_security_group.services.id
  description                  = "PostgreSQL"
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  referenced_security_group_id = aws_security_group.db.id
}

# --- Load balancer ---------------------------------------------------------------------------

resource "aws_lb" "server" {
  #checkov:skip=CKV_AWS_91:Access logs need a log bucket with an ELB delivery policy; left to the account's logging setup.
  #checkov:skip=CKV2_AWS_28:A WAF web ACL is a product decision (rules, cost) outside this deployment.
  name                       = var.alb_name
  load_balancer_type         = "application"
  internal                   = false
  security_groups            = [aws_security_group.alb.id]
  subnets                    = var.public_subnet_ids
  drop_invalid_header_fields = true
  enable_deletion_protection = var.alb_deletion_protection
}

resource "aws_lb_target_group" "server" {
  #checkov:skip=CKV_AWS_378:TLS ends at the load balancer; the server speaks plain HTTP inside the VPC.
  name        = var.alb_name
  port        = var.container_port
  protocol    = "HTTP"
  target_type = "ip"
  vpc_id      = var.vpc_id

  health_check {
    path                = var.health_check_path
    matcher             = "200"
    interval            = 15
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }
}

resource "aws_lb_listener" "https" {
  load_balancer_arn = aws_lb.server.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = var.ssl_policy
  certificate_arn   = var.certificate_arn

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.server.arn
  }
}

resource "aws_lb_listener" "http" {
  load_balancer_arn = aws_lb.server.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type = "redirect"
    redirect {
      port        = "443"
      protocol    = "HTTPS"
      status_code = "HTTP_301"
    }
  }
}

# --- Task definitions ------------------------------------------------------------------------

locals {
  server_environment = merge(local.environment, {
    OCEAN__APP__LISTEN       = "0.0.0.0:${var.container_port}"
    OCEAN__APP__BEHIND_PROXY = "true"
  })

  # Fargate gives each task ephemeral storage; data_dir is mounted there, the rest of the
  # root filesystem is read-only.
  data_volume = "data"

  containers = {
    server = {
      name        = var.server_service_name
      command     = var.server_command
      environment = local.server_environment
      log_group   = aws_cloudwatch_log_group.server.name
      ports       = [{ containerPort = var.container_port, protocol = "tcp" }]
    }
    worker = {
      name        = var.worker_service_name
      command     = var.worker_command
      environment = local.environment
      log_group   = aws_cloudwatch_log_group.worker.name
      ports       = []
    }
  }
}

resource "aws_ecs_task_definition" "server" {
  family                   = var.server_service_name
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.server_cpu
  memory                   = var.server_memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  volume {
    name = local.data_volume
  }

  container_definitions = jsonencode([{
    name                   = local.containers.server.name
    image                  = var.container_image
    essential              = true
    command                = local.containers.server.command
    portMappings           = local.containers.server.ports
    environment            = [for k, v in local.containers.server.environment : { name = k, value = v }]
    secrets                = local.secrets
    readonlyRootFilesystem = true
    privileged             = false
    mountPoints            = [{ sourceVolume = local.data_volume, containerPath = var.data_dir, readOnly = false }]
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = local.containers.server.log_group
        awslogs-region        = var.region
        awslogs-stream-prefix = "server"
      }
    }
  }])
}

resource "aws_ecs_task_definition" "worker" {
  family                   = var.worker_service_name
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.worker_cpu
  memory                   = var.worker_memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  volume {
    name = local.data_volume
  }

  container_definitions = jsonencode([{
    name                   = local.containers.worker.name
    image                  = var.container_image
    essential              = true
    command                = local.containers.worker.command
    portMappings           = local.containers.worker.ports
    environment            = [for k, v in local.containers.worker.environment : { name = k, value = v }]
    secrets                = local.secrets
    readonlyRootFilesystem = true
    privileged             = false
    mountPoints            = [{ sourceVolume = local.data_volume, containerPath = var.data_dir, readOnly = false }]
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = local.containers.worker.log_group
        awslogs-region        = var.region
        awslogs-stream-prefix = "worker"
      }
    }
  }])
}

# --- Services --------------------------------------------------------------------------------

resource "aws_ecs_service" "server" {
  name                   = var.server_service_name
  cluster                = aws_ecs_cluster.main.id
  task_definition        = aws_ecs_task_definition.server.arn
  desired_count          = var.server_desired_count
  launch_type            = "FARGATE"
  enable_execute_command = false

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.services.id]
    assign_public_ip = false
  }

  health_check_grace_period_seconds = var.server_health_check_grace_seconds

  load_balancer {
    target_group_arn = aws_lb_target_group.server.arn
    container_name   = var.server_service_name
    container_port   = var.container_port
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  # Autoscaling owns the count after creation.
  lifecycle {
    ignore_changes = [desired_count]
  }

  depends_on = [aws_lb_listener.https]
}

resource "aws_ecs_service" "worker" {
  name                   = var.worker_service_name
  cluster                = aws_ecs_cluster.main.id
  task_definition        = aws_ecs_task_definition.worker.arn
  desired_count          = var.worker_desired_count
  launch_type            = "FARGATE"
  enable_execute_command = false

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.services.id]
    assign_public_ip = false
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  lifecycle {
    ignore_changes = [desired_count]
  }
}

# --- Autoscaling on CPU ----------------------------------------------------------------------

resource "aws_appautoscaling_target" "server" {
  service_namespace  = "ecs"
  resource_id        = "service/${aws_ecs_cluster.main.name}/${aws_ecs_service.server.name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = var.server_min_count
  max_capacity       = var.server_max_count
}

resource "aws_appautoscaling_policy" "server_cpu" {
  name               = "${var.server_service_name}-cpu"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.server.service_namespace
  resource_id        = aws_appautoscaling_target.server.resource_id
  scalable_dimension = aws_appautoscaling_target.server.scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.cpu_target_percent
    scale_in_cooldown  = var.scale_in_cooldown_seconds
    scale_out_cooldown = var.scale_out_cooldown_seconds
    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}

resource "aws_appautoscaling_target" "worker" {
  service_namespace  = "ecs"
  resource_id        = "service/${aws_ecs_cluster.main.name}/${aws_ecs_service.worker.name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = var.worker_min_count
  max_capacity       = var.worker_max_count
}

resource "aws_appautoscaling_policy" "worker_cpu" {
  name               = "${var.worker_service_name}-cpu"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.worker.service_namespace
  resource_id        = aws_appautoscaling_target.worker.resource_id
  scalable_dimension = aws_appautoscaling_target.worker.scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.cpu_target_percent
    scale_in_cooldown  = var.scale_in_cooldown_seconds
    scale_out_cooldown = var.scale_out_cooldown_seconds
    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}
