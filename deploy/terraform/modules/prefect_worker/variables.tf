variable "region" {
  description = "AWS region."
  type        = string
}

variable "account_id" {
  description = "AWS account id."
  type        = string
}

variable "cluster_arn" {
  description = "The cluster flow runs start in."
  type        = string
}

variable "cluster_name" {
  description = "Name of that cluster."
  type        = string
}

variable "worker_task_role_name" {
  description = "Task role of the prefect-worker deployable."
  type        = string
}

variable "flow_run_task_definition_arn" {
  description = "Task definition each flow run starts as (the flows deployable's)."
  type        = string
}

variable "flow_run_task_definition_family_arn" {
  description = "ARN of that task definition without its revision."
  type        = string
}

variable "flows_task_role_arn" {
  description = "Task role of flow runs (the flows' role: the only lake writer)."
  type        = string
}

variable "flows_execution_role_arn" {
  description = "Execution role of flow runs."
  type        = string
}

variable "flows_log_group" {
  description = "Log group of flow runs."
  type        = string
}

variable "subnet_ids" {
  description = "Subnets flow runs start in."
  type        = list(string)
}

variable "security_group_id" {
  description = "Security group of flow runs (the flows')."
  type        = string
}

variable "work_pool" {
  description = "Name of the Prefect ECS work pool."
  type        = string
}
