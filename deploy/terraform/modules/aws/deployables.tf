# The deployables as they run on AWS: one entry each, named as in the code. Ports are the
# settings' defaults (ECOM_<NAME>_PORT), owners are shared/owners.py's, and every environment
# variable is a field of that deployable's settings class; tests/deploy/test_terraform_services.py
# checks all three against the code.

locals {
  # Listening ports (ECOM_GATEWAY_PORT, ECOM_ADMIN_PORT, ..., ECOM_PREFECT_PORT).
  ports = {
    gateway        = 8000
    admin          = 8001
    loyalty        = 8002
    transparency   = 8003
    reminders      = 8004
    prefect-server = 4200
  }

  # Owners of database schemas; each connects as its own role ecom_<owner> (shared/owners.py).
  owners = ["flows", "loyalty", "transparency", "reminders", "admin"]

  dns             = { for name, port in local.ports : name => "${name}.${local.namespace}" }
  prefect_api_url = coalesce(var.prefect_api_url, "http://${local.dns["prefect-server"]}:${local.ports["prefect-server"]}/api")

  # What every platform process reads (EcomSettings, LogFormatSettings).
  common_environment = {
    ECOM_MODE       = "aws"
    ECOM_LOG_FORMAT = "json"
    ECOM_LOG_LEVEL  = var.log_level
    ECOM_DATA_DIR   = "/var/lib/ecom"
  }

  # `command` is the arguments of the image's entrypoint, `ecom` (deploy/Dockerfile) unless
  # `entrypoint` says otherwise; `secrets` map an environment variable to a key of the secrets
  # module; `callers` are the deployables whose security groups may open connections to `port`.
  declared = {
    gateway = {
      command   = ["serve", "gateway"]
      port      = local.ports.gateway
      public    = true
      singleton = false
      one_off   = false
      callers   = []
      cpu       = 512
      memory    = 1024
      environment = {
        ECOM_HOST                     = "0.0.0.0"
        ECOM_GATEWAY_PORT             = tostring(local.ports.gateway)
        ECOM_ADMIN_SERVICE_URL        = "http://${local.dns.admin}:${local.ports.admin}"
        ECOM_LOYALTY_SERVICE_URL      = "http://${local.dns.loyalty}:${local.ports.loyalty}"
        ECOM_TRANSPARENCY_SERVICE_URL = "http://${local.dns.transparency}:${local.ports.transparency}"
        ECOM_REMINDERS_SERVICE_URL    = "http://${local.dns.reminders}:${local.ports.reminders}"
        ECOM_HSTS_MAX_AGE_S           = "31536000"
      }
      secrets = {
        ECOM_JWT_SECRET      = "jwt_secret"
        ECOM_INTERNAL_SECRET = "internal_secret"
      }
    }
    admin = {
      command   = ["serve", "admin"]
      port      = local.ports.admin
      public    = false
      singleton = false
      one_off   = false
      callers   = ["gateway"]
      cpu       = 512
      memory    = 1024
      environment = {
        ECOM_HOST            = "0.0.0.0"
        ECOM_ADMIN_PORT      = tostring(local.ports.admin)
        ECOM_PREFECT_API_URL = local.prefect_api_url
        ECOM_DATABASE_NAME   = var.database_name
        # The latest business report (GET /api/admin/reports/latest) is read from the lake.
        ECOM_OBJECT_STORE_URL = module.data.object_store_url
        ECOM_S3_REGION        = var.region
      }
      secrets = {
        ECOM_INTERNAL_SECRET = "internal_secret"
        ECOM_DATABASE_URL    = "database_url_admin"
      }
    }
    loyalty = {
      command   = ["serve", "loyalty"]
      port      = local.ports.loyalty
      public    = false
      singleton = false
      one_off   = false
      callers   = ["gateway"]
      cpu       = 256
      memory    = 512
      environment = {
        ECOM_HOST          = "0.0.0.0"
        ECOM_LOYALTY_PORT  = tostring(local.ports.loyalty)
        ECOM_DATABASE_NAME = var.database_name
      }
      secrets = {
        ECOM_INTERNAL_SECRET = "internal_secret"
        ECOM_DATABASE_URL    = "database_url_loyalty"
      }
    }
    transparency = {
      command   = ["serve", "transparency"]
      port      = local.ports.transparency
      public    = false
      singleton = false
      one_off   = false
      callers   = ["gateway"]
      cpu       = 256
      memory    = 512
      environment = {
        ECOM_HOST              = "0.0.0.0"
        ECOM_TRANSPARENCY_PORT = tostring(local.ports.transparency)
        ECOM_DATABASE_NAME     = var.database_name
      }
      secrets = {
        ECOM_INTERNAL_SECRET = "internal_secret"
        ECOM_DATABASE_URL    = "database_url_transparency"
      }
    }
    reminders = {
      command   = ["serve", "reminders"]
      port      = local.ports.reminders
      public    = false
      singleton = false
      one_off   = false
      callers   = ["gateway"]
      cpu       = 256
      memory    = 512
      environment = {
        ECOM_HOST           = "0.0.0.0"
        ECOM_REMINDERS_PORT = tostring(local.ports.reminders)
        ECOM_DATABASE_NAME  = var.database_name
      }
      secrets = {
        ECOM_INTERNAL_SECRET = "internal_secret"
        ECOM_DATABASE_URL    = "database_url_reminders"
      }
    }
    # The flows runner: serves every deployment with its schedule and watches landing. One task
    # only (two would run each schedule twice). Its task definition is also the template of the
    # flow runs the Prefect ECS worker starts.
    # The schedules live on the ECS work pool: `--work-pool` registers every deployment there
    # (deploy/flow_deployments.py; each run a Fargate task of the flow-run task definition, the
    # same image, so the worker reuses that definition), then this service only watches landing/.
    flows = {
      command   = ["flows", "serve", "--work-pool", var.work_pool, "--image", local.image]
      port      = null
      public    = false
      singleton = true
      one_off   = false
      callers   = []
      cpu       = 1024
      memory    = 2048
      environment = {
        ECOM_OBJECT_STORE_URL = module.data.object_store_url
        ECOM_S3_REGION        = var.region
        ECOM_DATABASE_NAME    = var.database_name
        PREFECT_API_URL       = local.prefect_api_url
        PREFECT_HOME          = "/var/lib/ecom/prefect"
      }
      secrets = {
        ECOM_DATABASE_URL      = "database_url_flows"
        ECOM_DB_PASSWORD_FLOWS = "db_password_flows"
      }
    }
    prefect-server = {
      entrypoint  = ["prefect"]
      command     = ["server", "start", "--host", "0.0.0.0", "--port", tostring(local.ports["prefect-server"])]
      port        = local.ports["prefect-server"]
      health_path = "/api/health"
      public      = false
      singleton   = true
      one_off     = false
      callers     = ["admin", "flows", "prefect-worker"]
      cpu         = 512
      memory      = 1024
      environment = {
        PREFECT_HOME = "/var/lib/ecom/prefect"
      }
      secrets = {
        PREFECT_API_DATABASE_CONNECTION_URL = "prefect_database_url"
      }
    }
    prefect-worker = {
      entrypoint = ["prefect"]
      command    = ["worker", "start", "--pool", var.work_pool, "--type", "ecs"]
      port       = null
      public     = false
      singleton  = true
      one_off    = false
      callers    = []
      cpu        = 256
      memory     = 512
      environment = {
        PREFECT_API_URL = local.prefect_api_url
        PREFECT_HOME    = "/var/lib/ecom/prefect"
      }
      secrets = {}
    }
    # One-off: `ecom db init` creates the roles with the passwords below and migrates every
    # owner's schemas. Run it before the first deployment and after each release.
    db-init = {
      command   = ["db", "init"]
      port      = null
      public    = false
      singleton = true
      one_off   = true
      callers   = []
      cpu       = 256
      memory    = 512
      environment = {
        ECOM_DATABASE_NAME = var.database_name
      }
      secrets = {
        ECOM_DATABASE_URL             = "bootstrap_database_url"
        ECOM_JWT_SECRET               = "jwt_secret"
        ECOM_INTERNAL_SECRET          = "internal_secret"
        ECOM_DB_PASSWORD_FLOWS        = "db_password_flows"
        ECOM_DB_PASSWORD_LOYALTY      = "db_password_loyalty"
        ECOM_DB_PASSWORD_TRANSPARENCY = "db_password_transparency"
        ECOM_DB_PASSWORD_REMINDERS    = "db_password_reminders"
        ECOM_DB_PASSWORD_ADMIN        = "db_password_admin"
      }
    }
  }

  # Prefect Cloud (prefect_api_url set) replaces the self-hosted server.
  enabled = { for name, d in local.declared : name => d if name != "prefect-server" || var.prefect_api_url == null }

  # Which deployables reach PostgreSQL, which may write the lake, and which may only read its
  # reports/ (the admin service serves the latest business report).
  database_clients = ["admin", "loyalty", "transparency", "reminders", "flows", "prefect-server", "db-init"]
  lake_writers     = ["flows"]
  report_readers   = ["admin"]
}
