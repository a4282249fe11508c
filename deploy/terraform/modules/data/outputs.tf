output "kms_key_arn" {
  description = "The data-at-rest key."
  value       = aws_kms_key.this.arn
}

output "db_address" {
  description = "Host name of the RDS instance."
  value       = aws_db_instance.this.address
}

output "db_port" {
  description = "Port of the RDS instance."
  value       = aws_db_instance.this.port
}

output "database_name" {
  description = "The platform database."
  value       = aws_db_instance.this.db_name
}

output "lake_bucket" {
  description = "Name of the lake bucket."
  value       = aws_s3_bucket.lake.bucket
}

output "lake_bucket_arn" {
  description = "ARN of the lake bucket."
  value       = aws_s3_bucket.lake.arn
}

output "object_store_url" {
  description = "ECOM_OBJECT_STORE_URL of the flows."
  value       = "s3://${aws_s3_bucket.lake.bucket}/${var.lake_prefix}"
}
