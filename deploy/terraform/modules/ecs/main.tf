# The cluster and one Fargate service per deployable (a one-off, `ecom db init`, gets a task
# definition only: run it with `aws ecs run-task`), all from the one image: each runs its own
# command, as its own task role, with its own log group, security group and (if it listens) DNS
# name in the private namespace. Only the ALB reaches the gateway; only declared callers reach
# each other port.

resource "aws_ecs_cluster" "this" {
  name = var.name
  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

resource "aws_ecs_cluster_capacity_providers" "this" {
  cluster_name       = aws_ecs_cluster.this.name
  capacity_providers = ["FARGATE", "FARGATE_SPOT"]
  default_capacity_provider_strategy {
    capacity_provider = "FARGATE"
    weight            = 1
  }
}

resource "aws_service_discovery_private_dns_namespace" "this" {
  name        = var.namespace
  description = "Private names of the ${var.name} deployables"
  vpc         = var.vpc_id
}

resource "aws_service_discovery_service" "this" {
  for_each = { for name, d in var.deployables : name => d if d.port != null }
  name     = each.key
  dns_config {
    namespace_id   = aws_service_discovery_private_dns_namespace.this.id
    routing_policy = "MULTIVALUE"
    dns_records {
      ttl  = 10
      type = "A"
    }
  }
  health_check_custom_config {
    failure_threshold = 1
  }
}

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_158:application logs carry no secrets (SecretStr settings); AWS-managed encryption at rest
  #checkov:skip=CKV_AWS_338:retention is per environment (log_retention_days); a year of application logs is not needed
  for_each          = var.deployables
  name              = "/ecom/${var.name}/${each.key}"
  retention_in_days = var.log_retention_days
}

resource "aws_security_group" "this" {
  for_each    = var.deployables
  name        = "${var.name}-${each.key}"
  description = "${each.key} tasks"
  vpc_id      = var.vpc_id
}

# Outbound: HTTPS (AWS APIs, webhooks), PostgreSQL and the platform's own ports inside the VPC.
resource "aws_vpc_security_group_egress_rule" "https" {
  for_each          = var.deployables
  security_group_id = aws_security_group.this[each.key].id
  description       = "HTTPS out (AWS APIs through endpoints or NAT)"
  cidr_ipv4         = "0.0.0.0/0"
  from_port         = 443
  to_port           = 443
  ip_protocol       = "tcp"
}

resource "aws_vpc_security_group_egress_rule" "vpc" {
  for_each          = var.deployables
  security_group_id = aws_security_group.this[each.key].id
  description       = "Platform ports and PostgreSQL inside the VPC"
  cidr_ipv4         = var.vpc_cidr_block
  from_port         = 4200
  to_port           = 8100
  ip_protocol       = "tcp"
}

resource "aws_vpc_security_group_egress_rule" "postgres" {
  for_each          = var.deployables
  security_group_id = aws_security_group.this[each.key].id
  description       = "PostgreSQL inside the VPC"
  cidr_ipv4         = var.vpc_cidr_block
  from_port         = 5432
  to_port           = 5432
  ip_protocol       = "tcp"
}

locals {
  # (callee, caller) pairs: who may open a connection to whose port.
  callers = merge([
    for name, d in var.deployables : {
      for caller in d.callers : "${name}<-${caller}" => { callee = name, caller = caller }
    } if d.port != null
  ]...)
}

resource "aws_vpc_security_group_ingress_rule" "callers" {
  for_each                     = local.callers
  security_group_id            = aws_security_group.this[each.value.callee].id
  description                  = "${each.value.caller} calls ${each.value.callee}"
  referenced_security_group_id = aws_security_group.this[each.value.caller].id
  from_port                    = var.deployables[each.value.callee].port
  to_port                      = var.deployables[each.value.callee].port
  ip_protocol                  = "tcp"
}

resource "aws_vpc_security_group_ingress_rule" "alb" {
  for_each                     = { for name, d in var.deployables : name => d if d.public }
  security_group_id            = aws_security_group.this[each.key].id
  description                  = "The ALB forwards to ${each.key}"
  referenced_security_group_id = var.alb_security_group_id
  from_port                    = each.value.port
  to_port                      = each.value.port
  ip_protocol                  = "tcp"
}

resource "aws_ecs_task_definition" "this" {
  for_each                 = var.deployables
  family                   = "${var.name}-${each.key}"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = each.value.cpu
  memory                   = each.value.memory
  execution_role_arn       = each.value.execution_role_arn
  task_role_arn            = each.value.task_role_arn
  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = var.cpu_architecture
  }
  # The root file system is read-only; the data directory (the image's ECOM_DATA_DIR, owned by
  # its user) and /tmp are per-task scratch space.
  volume {
    name = "data"
  }
  volume {
    name = "tmp"
  }
  container_definitions = jsonencode([{
    name                   = each.key
    image                  = var.image
    entryPoint             = each.value.entrypoint
    command                = each.value.command
    essential              = true
    readonlyRootFilesystem = true
    user                   = var.container_user
    portMappings = each.value.port == null ? [] : [{
      containerPort = each.value.port
      protocol      = "tcp"
    }]
    environment = [for key in sort(keys(each.value.environment)) : { name = key, value = each.value.environment[key] }]
    secrets     = [for key in sort(keys(each.value.secrets)) : { name = key, valueFrom = each.value.secrets[key] }]
    mountPoints = [
      { sourceVolume = "data", containerPath = var.data_dir, readOnly = false },
      { sourceVolume = "tmp", containerPath = "/tmp", readOnly = false },
    ]
    healthCheck = each.value.port == null ? null : {
      command     = ["CMD", "python3", "/opt/ecom/healthcheck.py", "http://127.0.0.1:${each.value.port}${each.value.health_path}"]
      interval    = 15
      timeout     = 5
      retries     = 3
      startPeriod = 60
    }
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.this[each.key].name
        awslogs-region        = var.region
        awslogs-stream-prefix = each.key
      }
    }
  }])
}

resource "aws_ecs_service" "this" {
  for_each               = { for name, d in var.deployables : name => d if !d.one_off }
  name                   = each.key
  cluster                = aws_ecs_cluster.this.id
  task_definition        = aws_ecs_task_definition.this[each.key].arn
  desired_count          = each.value.desired_count
  launch_type            = "FARGATE"
  enable_execute_command = false
  propagate_tags         = "SERVICE"
  # A singleton (the flows runner serves the schedules) is stopped before its successor starts.
  deployment_minimum_healthy_percent = each.value.singleton ? 0 : 100
  deployment_maximum_percent         = each.value.singleton ? 100 : 200
  health_check_grace_period_seconds  = each.value.public ? 120 : null

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.this[each.key].id]
    assign_public_ip = false
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  dynamic "service_registries" {
    for_each = each.value.port == null ? [] : [aws_service_discovery_service.this[each.key].arn]
    content {
      registry_arn = service_registries.value
    }
  }

  dynamic "load_balancer" {
    for_each = each.value.public ? [var.target_group_arn] : []
    content {
      target_group_arn = load_balancer.value
      container_name   = each.key
      container_port   = each.value.port
    }
  }

  lifecycle {
    # Autoscaling owns the running count once the service exists.
    ignore_changes = [desired_count]
  }
}

# --- autoscaling: the HTTP deployables follow CPU between their minimum and maximum.

resource "aws_appautoscaling_target" "this" {
  for_each           = { for name, d in var.deployables : name => d if !d.singleton && !d.one_off }
  service_namespace  = "ecs"
  scalable_dimension = "ecs:service:DesiredCount"
  resource_id        = "service/${aws_ecs_cluster.this.name}/${aws_ecs_service.this[each.key].name}"
  min_capacity       = each.value.desired_count
  max_capacity       = each.value.max_count
}

resource "aws_appautoscaling_policy" "cpu" {
  for_each           = aws_appautoscaling_target.this
  name               = "${var.name}-${each.key}-cpu"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = each.value.service_namespace
  scalable_dimension = each.value.scalable_dimension
  resource_id        = each.value.resource_id
  target_tracking_scaling_policy_configuration {
    target_value       = var.cpu_target_percent
    scale_in_cooldown  = 120
    scale_out_cooldown = 60
    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}
