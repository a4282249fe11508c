# The same outputs as modules/aws; all null until the module is implemented.

output "alb_dns_name" {
  description = "Address of the load balancer: the platform's front door (/api/* and /)."
  value       = null
}

output "alb_zone_id" {
  description = "DNS zone of the load balancer (for an alias record)."
  value       = null
}

output "image_repository_url" {
  description = "Where CI pushes the image."
  value       = null
}

output "cluster_name" {
  description = "Name of the container cluster."
  value       = null
}

output "service_names" {
  description = "Service of each long-running deployable."
  value       = null
}

output "db_init_task_definition" {
  description = "Run this one-off task (`ecom db init`) before the first deployment and after each release."
  value       = null
}

output "db_init_network_configuration" {
  description = "--network-configuration of `aws ecs run-task` for the db-init task (private subnets, its own security group)."
  value       = null
}

output "database_address" {
  description = "Host name of the database."
  value       = null
}

output "lake_url" {
  description = "ECOM_OBJECT_STORE_URL of the flows."
  value       = null
}

output "prefect_api_url" {
  description = "Prefect API the flows, the worker and the admin service use."
  value       = null
}

output "prefect_work_pool_job_variables" {
  description = "Base job variables of the Prefect ECS work pool."
  value       = null
}
