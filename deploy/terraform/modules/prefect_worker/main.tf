# The Prefect ECS worker: it polls the ECS work pool and starts each flow run as a Fargate task
# of the flow-run task definition below (the same image, the flows' task and execution roles, so
# a flow run may write the lake and the worker itself may not). The worker's own ECS service is
# one of the deployables (modules/aws/deployables.tf); this module gives its task role exactly
# what starting and watching those tasks needs, and prints the work pool's job variables.

data "aws_iam_policy_document" "worker" {
  statement {
    sid       = "StartFlowRunTasks"
    actions   = ["ecs:RunTask"]
    resources = ["${var.flow_run_task_definition_family_arn}:*"]
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
