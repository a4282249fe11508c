variable "name" {
  description = "Prefix of every resource name (e.g. ecom-qa); also the cluster name."
  type        = string
}

variable "region" {
  description = "AWS region (for the log driver)."
  type        = string
}

variable "namespace" {
  description = "Private DNS namespace the deployables find each other in (e.g. ecom-qa.internal)."
  type        = string
}

variable "vpc_id" {
  description = "The VPC."
  type        = string
}

variable "vpc_cidr_block" {
  description = "CIDR of the VPC (egress to PostgreSQL and the platform ports stays inside it)."
  type        = string
}

variable "private_subnet_ids" {
  description = "Subnets the tasks run in (no public addresses)."
  type        = list(string)
}

variable "alb_security_group_id" {
  description = "Security group of the ALB (may reach public deployables only)."
  type        = string
}

variable "target_group_arn" {
  description = "Target group of the public deployable (the gateway)."
  type        = string
}

variable "image" {
  description = "The one image (repository_url:tag) every deployable runs."
  type        = string
}

variable "container_user" {
  description = "Non-root user the containers run as (the image's user)."
  type        = string
  default     = "10001:10001"
}

variable "data_dir" {
  description = "Writable data directory of the image (ECOM_DATA_DIR, the user's home)."
  type        = string
  default     = "/var/lib/ecom"
}

variable "cpu_architecture" {
  description = "X86_64 or ARM64 (must match the image)."
  type        = string
  default     = "X86_64"
}

variable "log_retention_days" {
  description = "Retention of each deployable's CloudWatch log group."
  type        = number
  default     = 30
}

variable "cpu_target_percent" {
  description = "Average CPU the scalable services are kept at."
  type        = number
  default     = 60
}

variable "deployables" {
  description = "One entry per deployable (see modules/aws/deployables.tf)."
  type = map(object({
    entrypoint         = optional(list(string), ["ecom"])
    command            = list(string)
    port               = optional(number)
    health_path        = optional(string, "/healthz")
    public             = bool
    singleton          = bool
    one_off            = bool
    callers            = list(string)
    cpu                = number
    memory             = number
    desired_count      = number
    max_count          = number
    environment        = map(string)
    secrets            = map(string)
    task_role_arn      = string
    execution_role_arn = string
  }))
}
