variable "name" {
  description = "Prefix of every role name (e.g. ecom-qa)."
  type        = string
}

variable "secret_arns" {
  description = "Per deployable (every one gets two roles), the secrets its execution role may read."
  type        = map(list(string))
}

variable "lake_writers" {
  description = "Deployables whose task role may read and write the lake (the flows only)."
  type        = list(string)
}

variable "report_readers" {
  description = "Deployables whose task role may read the lake's reports/ and nothing else of it."
  type        = list(string)
  default     = []
}

variable "ecr_repository_arn" {
  description = "The image repository."
  type        = string
}

variable "kms_key_arn" {
  description = "The data-at-rest key (secrets, image, lake)."
  type        = string
}

variable "lake_bucket_arn" {
  description = "ARN of the lake bucket."
  type        = string
}

variable "lake_prefix" {
  description = "Prefix of the lake inside the bucket."
  type        = string
}
