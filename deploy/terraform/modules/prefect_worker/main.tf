# The Prefect ECS worker: it polls the ECS work pool and starts each flow run as a Fargate task
# of the flow-run task definition below (the same image, the flows' environment, secrets, task
# and execution roles and log group, so a flow run may write the lake and the worker may not). The worker's own ECS service is
# one of the deployables (modules/aws/deployables.tf); this module gives its task role exactly
# what starting and watching those tasks needs, and prints the work pool's job variables.

# The image's entrypoint is `ecom`; Prefect gives a flow run's container its own command
# (`python -m prefect.engine`), so this definition's entrypoint just runs that command.
resource "aws_ecs_task_definition" "flow_run" {
  family                   = "${var.name}-flow-run"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.flow_run_cpu
  memory                   = var.flow_run_memory
  execution_role_arn       = var.flows_execution_role_arn
  task_role_arn            = var.flows_task_role_arn
  volume {
    name = "data"
  }
  volume {
    name = "tmp"
  }
  container_definitions = jsonencode([{
    name                   = "prefect"
    image                  = var.image
    entryPoint             = ["/usr/bin/env"]
    command                = ["python", "-m", "prefect.engine"]
    essential              = true
    readonlyRootFilesystem = true
    user                   = var.container_user
    environment            = [for key in sort(keys(var.flows_environment)) : { name = key, value = var.flows_environment[key] }]
    secrets                = [for key in sort(keys(var.flows_secrets)) : { name = key, valueFrom = var.flows_secrets[key] }]
    mountPoints = [
      { sourceVolume = "data", containerPath = var.data_dir, readOnly = false },
      { sourceVolume = "tmp", containerPath = "/tmp", readOnly = false },
    ]
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = var.flows_log_group
        awslogs-region        = var.region
        awslogs-stream-prefix = "flow-run"
      }
    }
  }])
}

data "aws_iam_policy_document" "worker" {
  statement {
    sid       = "StartFlowRunTasks"
    actions   = ["ecs:RunTask"]
    resources = ["arn:aws:ecs:${var.region}:${var.account_id}:task-definition/${aws_ecs_task_definition.flow_run.family}:*"]
    condition {
      test     = "ArnEquals"
      variable = "ecs:cluster"
      values   = [var.cluster_arn]
    }
  }
  statement {
    sid       = "WatchAndStopFlowRunTasks"
    actions   = ["ecs:DescribeTasks", "ecs:StopTask"]
    resources = ["arn:aws:ecs:${var.region}:${var.account_id}:task/${var.cluster_name}/*"]
  }
  statement {
    sid       = "ReadTaskDefinitions"
    actions   = ["ecs:DescribeTaskDefinition"]
    resources = ["*"] # this action has no resource-level permissions
  }
  statement {
    sid       = "HandTheFlowsRolesToFlowRuns"
    actions   = ["iam:PassRole"]
    resources = [var.flows_task_role_arn, var.flows_execution_role_arn]
    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["ecs-tasks.amazonaws.com"]
    }
  }
  statement {
    sid       = "StreamFlowRunLogs"
    actions   = ["logs:GetLogEvents"]
    resources = ["arn:aws:logs:${var.region}:${var.account_id}:log-group:${var.flows_log_group}:*"]
  }
}

resource "aws_iam_role_policy" "worker" {
  name   = "prefect-ecs-worker"
  role   = var.worker_task_role_name
  policy = data.aws_iam_policy_document.worker.json
}
