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

variable "name" {
  description = "Prefix of every resource name (e.g. ecom-qa)."
  type        = string
}

variable "image" {
  description = "The one image (repository_url:tag)."
  type        = string
}

variable "container_user" {
  description = "Non-root user the containers run as (the image's user)."
  type        = string
  default     = "10001:10001"
}

variable "data_dir" {
  description = "Writable data directory of the image (ECOM_DATA_DIR)."
  type        = string
  default     = "/var/lib/ecom"
}

variable "flow_run_cpu" {
  description = "CPU units of one flow run."
  type        = number
  default     = 1024
}

variable "flow_run_memory" {
  description = "Memory (MiB) of one flow run."
  type        = number
  default     = 2048
}

variable "flows_environment" {
  description = "Environment of the flows deployable, given to every flow run."
  type        = map(string)
}

variable "flows_secrets" {
  description = "Secrets (variable -> ARN) of the flows deployable, given to every flow run."
  type        = map(string)
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
