variable "name" {
  description = "Repository name (e.g. ecom-qa)."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key the images are encrypted with."
  type        = string
}

variable "keep_images" {
  description = "How many images to keep; older ones expire."
  type        = number
  default     = 30
}
