output "arns" {
  description = "ARN of each secret by key: jwt_secret, internal_secret, bootstrap_database_url, prefect_database_url, db_password_<owner>, database_url_<owner>."
  value       = { for key, secret in aws_secretsmanager_secret.this : key => secret.arn }
}

output "master_password" {
  description = "The RDS master password (for the data module)."
  value       = random_password.master.result
  sensitive   = true
}
