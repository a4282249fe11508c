variable "region" {
  description = "AWS region of the qa environment."
  type        = string
  default     = "eu-west-1"
}

variable "image_tag" {
  description = "Image tag to run (CI passes the commit it built)."
  type        = string
}

variable "certificate_arn" {
  description = "ACM certificate of the qa site's host name."
  type        = string
}

variable "lake_bucket_name" {
  description = "Globally unique name of the qa lake bucket."
  type        = string
}

variable "db_instance_class" {
  description = "RDS instance class."
  type        = string
  default     = "db.t4g.small"
}

variable "prefect_api_key_secret_arn" {
  description = "Secret holding the Prefect Cloud API key (with prefect_api_url)."
  type        = string
  default     = null
}

variable "prefect_api_url" {
  description = "Prefect Cloud workspace API URL; null runs the self-hosted Prefect server."
  type        = string
  default     = null
}
