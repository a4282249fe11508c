# NOT IMPLEMENTED. The Azure shim: the same inputs (variables.tf) and outputs (outputs.tf) as
# modules/aws, so that an environment root can switch `source` once it exists. Planned mapping:
# network -> VNet with subnets (+ NAT gateway), ecs -> Container Apps (one app per deployable),
# alb -> Application Gateway (/api/* and / to the gateway), data -> PostgreSQL Flexible Server +
# a Storage Account container (versioning, encryption, no public access, lifecycle rules),
# ecr -> Container Registry, secrets -> Key Vault, iam -> one managed identity per deployable,
# Prefect worker -> an ACI/Container Apps job work pool.
#
# Applying it creates nothing; the check below makes `terraform plan` fail loudly instead of
# succeeding with an empty platform.

check "not_implemented" {
  assert {
    condition     = false
    error_message = "modules/azure is not implemented: use modules/aws (see deploy/terraform/README.md)."
  }
}
