variable "name" {
  description = "Prefix of every resource name (e.g. ecom-qa)."
  type        = string
}

variable "vpc_id" {
  description = "The VPC."
  type        = string
}

variable "private_subnet_ids" {
  description = "Private subnets of the database."
  type        = list(string)
}

variable "client_security_group_ids" {
  description = "Security groups (by deployable) allowed to reach PostgreSQL."
  type        = map(string)
}

variable "postgres_version" {
  description = "RDS PostgreSQL engine version."
  type        = string
  default     = "16.4"
}

variable "instance_class" {
  description = "RDS instance class."
  type        = string
  default     = "db.t4g.medium"
}

variable "allocated_storage_gb" {
  description = "Initial storage; autoscaling goes up to four times this."
  type        = number
  default     = 50
}

variable "multi_az" {
  description = "A standby in a second AZ."
  type        = bool
  default     = false
}

variable "backup_retention_days" {
  description = "Days of automated backups."
  type        = number
  default     = 7
}

variable "deletion_protection" {
  description = "Refuse to delete the database (and take a final snapshot)."
  type        = bool
  default     = true
}

variable "database_name" {
  description = "The platform database (ECOM_DATABASE_NAME)."
  type        = string
  default     = "datamart"
}

variable "master_username" {
  description = "RDS master user: only the one-off `ecom db init` task and the Prefect server log in as it."
  type        = string
  default     = "ecom_bootstrap"
}

variable "master_password" {
  description = "RDS master password (from the secrets module)."
  type        = string
  sensitive   = true
}

variable "lake_bucket_name" {
  description = "Name of the lake bucket (globally unique)."
  type        = string
}

variable "lake_prefix" {
  description = "Prefix of the lake inside the bucket (ECOM_OBJECT_STORE_URL=s3://bucket/prefix)."
  type        = string
  default     = "lake"
}

variable "noncurrent_version_days" {
  description = "Days an overwritten or deleted lake file's old version is kept."
  type        = number
  default     = 90
}
