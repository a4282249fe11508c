output "work_pool" {
  description = "Name of the ECS work pool the worker polls."
  value       = var.work_pool
}

output "job_variables" {
  description = "Base job variables of the ECS work pool (`prefect work-pool create --type ecs`, then set these)."
  value = {
    cluster             = var.cluster_arn
    task_definition_arn = aws_ecs_task_definition.flow_run.arn
    launch_type         = "FARGATE"
    network_configuration = {
      subnets        = var.subnet_ids
      securityGroups = [var.security_group_id]
      assignPublicIp = "DISABLED"
    }
    task_role_arn             = var.flows_task_role_arn
    execution_role_arn        = var.flows_execution_role_arn
    configure_cloudwatch_logs = false
  }
}
