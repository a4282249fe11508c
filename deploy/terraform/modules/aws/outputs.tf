# The outputs of a platform environment; modules/azure declares the same ones.

output "alb_dns_name" {
  description = "Address of the load balancer: the platform's front door (/api/* and /)."
  value       = module.alb.dns_name
}

output "alb_zone_id" {
  description = "DNS zone of the load balancer (for an alias record)."
  value       = module.alb.zone_id
}

output "image_repository_url" {
  description = "Where CI pushes the image."
  value       = module.ecr.repository_url
}

output "cluster_name" {
  description = "Name of the container cluster."
  value       = module.ecs.cluster_name
}

output "service_names" {
  description = "Service of each long-running deployable."
  value       = module.ecs.service_names
}

output "db_init_task_definition" {
  description = "Run this one-off task (`ecom db init`) before the first deployment and after each release."
  value       = module.ecs.task_definition_arns["db-init"]
}

output "db_init_network_configuration" {
  description = "--network-configuration of `aws ecs run-task` for the db-init task (private subnets, its own security group)."
  value = jsonencode({
    awsvpcConfiguration = {
      subnets        = module.network.private_subnet_ids
      securityGroups = [module.ecs.security_group_ids["db-init"]]
      assignPublicIp = "DISABLED"
    }
  })
}

output "database_address" {
  description = "Host name of the database."
  value       = module.data.db_address
}

output "lake_url" {
  description = "ECOM_OBJECT_STORE_URL of the flows."
  value       = module.data.object_store_url
}

output "prefect_api_url" {
  description = "Prefect API the flows, the worker and the admin service use."
  value       = local.prefect_api_url
}

output "prefect_work_pool_job_variables" {
  description = "Base job variables of the Prefect ECS work pool."
  value       = module.prefect_worker.job_variables
}
