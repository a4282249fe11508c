variable "name" {
  description = "Prefix of every secret name (e.g. ecom-qa)."
  type        = string
}

variable "owners" {
  description = "Owners of database schemas (shared/owners.py); each gets a role password."
  type        = list(string)
}

variable "kms_key_arn" {
  description = "KMS key the secrets are encrypted with."
  type        = string
}

variable "db_address" {
  description = "Host name of the database."
  type        = string
}

variable "db_port" {
  description = "Port of the database."
  type        = number
}

variable "database_name" {
  description = "The platform database."
  type        = string
}

variable "master_username" {
  description = "RDS master user."
  type        = string
}

variable "recovery_window_days" {
  description = "Days a deleted secret can be restored."
  type        = number
  default     = 7
}
