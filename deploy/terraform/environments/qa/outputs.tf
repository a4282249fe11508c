output "alb_dns_name" {
  description = "Address of the load balancer (point the site's DNS name at it)."
  value       = module.platform.alb_dns_name
}

output "image_repository_url" {
  description = "Where CI pushes the image."
  value       = module.platform.image_repository_url
}

output "cluster_name" {
  description = "The ECS cluster."
  value       = module.platform.cluster_name
}

output "db_init_task_definition" {
  description = "The one-off `ecom db init` task."
  value       = module.platform.db_init_task_definition
}

output "db_init_network_configuration" {
  description = "--network-configuration of `aws ecs run-task` for the db-init task."
  value       = module.platform.db_init_network_configuration
}

output "prefect_api_url" {
  description = "The Prefect API."
  value       = module.platform.prefect_api_url
}

output "prefect_work_pool_job_variables" {
  description = "Base job variables of the Prefect ECS work pool."
  value       = module.platform.prefect_work_pool_job_variables
}
