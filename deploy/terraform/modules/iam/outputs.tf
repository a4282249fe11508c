output "task_role_arns" {
  description = "Task role of each deployable."
  value       = { for name, role in aws_iam_role.task : name => role.arn }
}

output "task_role_names" {
  description = "Task role name of each deployable (to attach further policies)."
  value       = { for name, role in aws_iam_role.task : name => role.name }
}

output "execution_role_arns" {
  description = "Execution role of each deployable."
  value       = { for name, role in aws_iam_role.execution : name => role.arn }
}
