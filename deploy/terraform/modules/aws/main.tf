# The whole platform on AWS: network, image repository, data, secrets, roles, ALB, ECS services
# and the Prefect ECS worker. environments/qa and environments/main call this with their sizes.

data "aws_caller_identity" "current" {}

locals {
  namespace = "${var.name}.internal"
  image     = "${module.ecr.repository_url}:${var.image_tag}"

  # Prefect Cloud: the processes that talk to the Prefect API also get its key.
  prefect_clients = ["flows", "prefect-worker"]
  # (tomap on both sides of each conditional: objects with other attributes do not unify)
  prefect_key = var.prefect_api_key_secret_arn == null ? tomap({}) : tomap({ PREFECT_API_KEY = var.prefect_api_key_secret_arn })
  secret_arns = {
    for name, d in local.enabled : name => merge(
      { for env, key in d.secrets : env => module.secrets.arns[key] },
      contains(local.prefect_clients, name) ? local.prefect_key : tomap({}),
    )
  }

  deployables = {
    for name, d in local.enabled : name => merge(d, {
      environment        = startswith(name, "prefect-") ? tomap(d.environment) : tomap(merge(local.common_environment, d.environment))
      secrets            = local.secret_arns[name]
      desired_count      = d.singleton ? 1 : var.desired_count
      max_count          = d.singleton ? 1 : var.max_count
      task_role_arn      = module.iam.task_role_arns[name]
      execution_role_arn = module.iam.execution_role_arns[name]
    })
  }
}

module "network" {
  source     = "../network"
  name       = var.name
  cidr_block = var.vpc_cidr_block
  az_count   = var.az_count
  enable_nat = var.enable_nat
}

module "ecr" {
  source      = "../ecr"
  name        = var.name
  kms_key_arn = module.data.kms_key_arn
}

module "data" {
  source                    = "../data"
  name                      = var.name
  vpc_id                    = module.network.vpc_id
  private_subnet_ids        = module.network.private_subnet_ids
  client_security_group_ids = { for name in local.database_clients : name => module.ecs.security_group_ids[name] if contains(keys(local.enabled), name) }
  instance_class            = var.db_instance_class
  multi_az                  = var.db_multi_az
  deletion_protection       = var.deletion_protection
  database_name             = var.database_name
  master_password           = module.secrets.master_password
  lake_bucket_name          = var.lake_bucket_name
}

module "secrets" {
  source          = "../secrets"
  name            = var.name
  owners          = local.owners
  kms_key_arn     = module.data.kms_key_arn
  db_address      = module.data.db_address
  db_port         = module.data.db_port
  database_name   = var.database_name
  master_username = "ecom_bootstrap"
}

module "iam" {
  source             = "../iam"
  name               = var.name
  secret_arns        = { for name, arns in local.secret_arns : name => values(arns) }
  lake_writers       = local.lake_writers
  report_readers     = local.report_readers
  ecr_repository_arn = module.ecr.repository_arn
  kms_key_arn        = module.data.kms_key_arn
  lake_bucket_arn    = module.data.lake_bucket_arn
  lake_prefix        = "lake"
}

module "alb" {
  source              = "../alb"
  name                = var.name
  vpc_id              = module.network.vpc_id
  vpc_cidr_block      = module.network.vpc_cidr_block
  public_subnet_ids   = module.network.public_subnet_ids
  allowed_cidrs       = var.allowed_cidrs
  certificate_arn     = var.certificate_arn
  gateway_port        = local.ports.gateway
  deletion_protection = var.deletion_protection
  access_logs_bucket  = var.alb_access_logs_bucket
}

module "ecs" {
  source                = "../ecs"
  name                  = var.name
  region                = var.region
  namespace             = local.namespace
  vpc_id                = module.network.vpc_id
  vpc_cidr_block        = module.network.vpc_cidr_block
  private_subnet_ids    = module.network.private_subnet_ids
  alb_security_group_id = module.alb.security_group_id
  target_group_arn      = module.alb.target_group_arn
  image                 = local.image
  log_retention_days    = var.log_retention_days
  deployables           = local.deployables
}

module "prefect_worker" {
  source                   = "../prefect_worker"
  region                   = var.region
  account_id               = data.aws_caller_identity.current.account_id
  cluster_arn              = module.ecs.cluster_arn
  cluster_name             = module.ecs.cluster_name
  worker_task_role_name    = module.iam.task_role_names["prefect-worker"]
  name                     = var.name
  image                    = local.image
  flows_environment        = local.deployables["flows"].environment
  flows_secrets            = local.deployables["flows"].secrets
  flows_task_role_arn      = module.iam.task_role_arns["flows"]
  flows_execution_role_arn = module.iam.execution_role_arns["flows"]
  flows_log_group          = module.ecs.log_groups["flows"]
  subnet_ids               = module.network.private_subnet_ids
  security_group_id        = module.ecs.security_group_ids["flows"]
  work_pool                = var.work_pool
}
