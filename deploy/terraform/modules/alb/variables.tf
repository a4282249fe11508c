variable "name" {
  description = "Prefix of every resource name (e.g. ecom-qa)."
  type        = string
}

variable "vpc_id" {
  description = "The VPC."
  type        = string
}

variable "vpc_cidr_block" {
  description = "CIDR of the VPC (the ALB sends only to the gateway port inside it)."
  type        = string
}

variable "public_subnet_ids" {
  description = "Public subnets of the ALB."
  type        = list(string)
}

variable "allowed_cidrs" {
  description = "Networks allowed to reach the ALB."
  type        = list(string)
  default     = ["0.0.0.0/0"]
}

variable "certificate_arn" {
  description = "ACM certificate of the HTTPS listener."
  type        = string
}

variable "gateway_port" {
  description = "Port the gateway listens on (ECOM_GATEWAY_PORT)."
  type        = number
}

variable "gateway_paths" {
  description = "Path patterns forwarded to the gateway; every other path gets a 404 from the ALB."
  type        = list(string)
  default     = ["/api/*", "/"]
}

variable "health_path" {
  description = "Health path of the gateway."
  type        = string
  default     = "/healthz"
}

variable "deletion_protection" {
  description = "Refuse to delete the ALB."
  type        = bool
  default     = true
}

variable "access_logs_bucket" {
  description = "Bucket for ALB access logs (null: off)."
  type        = string
  default     = null
}
