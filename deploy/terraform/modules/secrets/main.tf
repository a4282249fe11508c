# Every secret the platform reads, generated here and kept in Secrets Manager; tasks receive them
# as environment variables through their task definitions' `secrets` (never in plain text).
#
# Rotation: the values are the platform's own (HS256 and assertion secrets, role passwords that
# `ecom db init` sets); rotating one is `terraform apply -replace=...` followed by `ecom db init
# --reset-role-passwords` and a new deployment, as deploy/terraform/README.md describes.

resource "random_password" "jwt" {
  length  = 48
  special = false
}

resource "random_password" "internal" {
  length  = 48
  special = false
}

resource "random_password" "master" {
  length  = 40
  special = false
}

resource "random_password" "role" {
  for_each = toset(var.owners)
  length   = 40
  special  = false
}

locals {
  host = "${var.db_address}:${var.db_port}"
  values = merge(
    {
      jwt_secret      = random_password.jwt.result
      internal_secret = random_password.internal.result
      # `ecom db init` (the one-off task) logs in with this bootstrap URL and creates the roles.
      bootstrap_database_url = "postgresql://${var.master_username}:${random_password.master.result}@${local.host}/${var.database_name}"
      # Prefect's own tables live in the server's `postgres` database, apart from the platform's.
      prefect_database_url = "postgresql+asyncpg://${var.master_username}:${random_password.master.result}@${local.host}/postgres"
    },
    { for owner in var.owners : "db_password_${owner}" => random_password.role[owner].result },
    # Each deployable connects as its own role (ecom_<owner>) to the platform database.
    {
      for owner in var.owners :
      "database_url_${owner}" => "postgresql://ecom_${owner}:${random_password.role[owner].result}@${local.host}/${var.database_name}"
    },
  )
}

# The names, spelled without the (sensitive) values so that for_each may use them.
locals {
  keys = concat(
    ["jwt_secret", "internal_secret", "bootstrap_database_url", "prefect_database_url"],
    [for owner in var.owners : "db_password_${owner}"],
    [for owner in var.owners : "database_url_${owner}"],
  )
}

resource "aws_secretsmanager_secret" "this" {
  #checkov:skip=CKV2_AWS_57:no rotation Lambda; the values are rotated by replace + `ecom db init --reset-role-passwords` (README)
  for_each                = toset(local.keys)
  name                    = "${var.name}/${each.key}"
  description             = "${var.name}: ${each.key}"
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = var.recovery_window_days
}

resource "aws_secretsmanager_secret_version" "this" {
  for_each      = aws_secretsmanager_secret.this
  secret_id     = each.value.id
  secret_string = local.values[each.key]
}
