# The inputs of a platform environment; the same as modules/aws.

variable "name" {
  description = "Name of the environment's resources (e.g. ecom-qa)."
  type        = string
}

variable "region" {
  description = "Cloud region."
  type        = string
}

variable "image_tag" {
  description = "Tag of the one image (pushed by CI) every deployable runs."
  type        = string
}

variable "desired_count" {
  description = "Tasks of each scalable deployable (gateway, services); also the autoscaling minimum."
  type        = number
  default     = 1
}

variable "max_count" {
  description = "Autoscaling maximum of each scalable deployable."
  type        = number
  default     = 4
}

variable "enable_nat" {
  description = "NAT gateways for outbound internet (webhooks, Prefect Cloud); without, VPC endpoints only."
  type        = bool
  default     = false
}

variable "vpc_cidr_block" {
  description = "CIDR of the network."
  type        = string
  default     = "10.40.0.0/16"
}

variable "az_count" {
  description = "Availability zones to span."
  type        = number
  default     = 2
}

variable "certificate_arn" {
  description = "TLS certificate of the public listener."
  type        = string
}

variable "allowed_cidrs" {
  description = "Networks allowed to reach the load balancer."
  type        = list(string)
  default     = ["0.0.0.0/0"]
}

variable "alb_access_logs_bucket" {
  description = "Bucket for load balancer access logs (null: off)."
  type        = string
  default     = null
}

variable "database_name" {
  description = "The platform database (ECOM_DATABASE_NAME)."
  type        = string
  default     = "datamart"
}

variable "db_instance_class" {
  description = "Database instance size."
  type        = string
  default     = "db.t4g.medium"
}

variable "db_multi_az" {
  description = "A standby database in a second zone."
  type        = bool
  default     = false
}

variable "deletion_protection" {
  description = "Refuse to delete the database and the load balancer."
  type        = bool
  default     = true
}

variable "lake_bucket_name" {
  description = "Name of the lake bucket (globally unique)."
  type        = string
}

variable "log_level" {
  description = "ECOM_LOG_LEVEL of every deployable."
  type        = string
  default     = "INFO"
}

variable "log_retention_days" {
  description = "Days each deployable's logs are kept."
  type        = number
  default     = 30
}

variable "prefect_api_url" {
  description = "Prefect Cloud workspace API URL; null runs a self-hosted Prefect server on ECS."
  type        = string
  default     = null
}

variable "prefect_api_key_secret_arn" {
  description = "Secrets Manager secret holding the Prefect Cloud API key (with prefect_api_url); null for the self-hosted server."
  type        = string
  default     = null
}

variable "work_pool" {
  description = "Name of the Prefect ECS work pool."
  type        = string
  default     = "ecom-ecs"
}
