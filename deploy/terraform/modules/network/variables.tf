variable "name" {
  description = "Prefix of every resource name (e.g. ecom-qa)."
  type        = string
}

variable "cidr_block" {
  description = "CIDR of the VPC (a /16: subnets are /24s carved from it)."
  type        = string
  default     = "10.40.0.0/16"
}

variable "az_count" {
  description = "How many availability zones to span (the ALB and RDS need at least two)."
  type        = number
  default     = 2
  validation {
    condition     = var.az_count >= 2
    error_message = "az_count must be at least 2 (an ALB and an RDS subnet group need two AZs)."
  }
}

variable "enable_nat" {
  description = "NAT gateways (one per AZ) for outbound internet from private subnets; without them, VPC endpoints only."
  type        = bool
  default     = false
}

variable "log_retention_days" {
  description = "Retention of the VPC flow log (rejected packets)."
  type        = number
  default     = 90
}
