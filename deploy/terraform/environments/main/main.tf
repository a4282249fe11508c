# The main environment: its own state, its own network and data. Two tasks per scalable
# deployable (autoscaling up to max_count), NAT gateways, a multi-AZ database.

terraform {
  # 1.10: the S3 backend's use_lockfile (no DynamoDB lock table).
  required_version = ">= 1.10"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.70"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.6"
    }
  }
  # State per environment; the bucket and lock table are made once by hand (README).
  backend "s3" {
    key          = "ecom/main/terraform.tfstate"
    encrypt      = true
    use_lockfile = true
  }
}

provider "aws" {
  region = var.region
  default_tags {
    tags = {
      project     = "ecom"
      environment = "main"
    }
  }
}

module "platform" {
  source              = "../../modules/aws"
  name                = "ecom-main"
  region              = var.region
  image_tag           = var.image_tag
  desired_count       = 2
  max_count           = 6
  enable_nat          = true
  vpc_cidr_block      = "10.50.0.0/16"
  db_instance_class   = var.db_instance_class
  db_multi_az         = true
  deletion_protection = true
  certificate_arn     = var.certificate_arn
  lake_bucket_name    = var.lake_bucket_name
  prefect_api_url     = var.prefect_api_url

  prefect_api_key_secret_arn = var.prefect_api_key_secret_arn
}
