output "repository_url" {
  description = "Push the image here; tasks pull <repository_url>:<image_tag>."
  value       = aws_ecr_repository.this.repository_url
}

output "repository_arn" {
  description = "ARN of the repository (execution roles may pull from it only)."
  value       = aws_ecr_repository.this.arn
}
