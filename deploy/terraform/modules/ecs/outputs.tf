output "cluster_arn" {
  description = "The ECS cluster."
  value       = aws_ecs_cluster.this.arn
}

output "cluster_name" {
  description = "Name of the ECS cluster."
  value       = aws_ecs_cluster.this.name
}

output "security_group_ids" {
  description = "Security group of each deployable."
  value       = { for name, sg in aws_security_group.this : name => sg.id }
}

output "task_definition_arns" {
  description = "Task definition of each deployable."
  value       = { for name, td in aws_ecs_task_definition.this : name => td.arn }
}

output "service_names" {
  description = "ECS service of each deployable."
  value       = { for name, s in aws_ecs_service.this : name => s.name }
}

output "log_groups" {
  description = "CloudWatch log group of each deployable."
  value       = { for name, g in aws_cloudwatch_log_group.this : name => g.name }
}
