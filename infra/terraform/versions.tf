terraform {
  # startswith() (athena.tf) needs 1.3; developed and tested with 1.11.
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # The exact version comes from .terraform.lock.hcl (5.100.0, the one in /opt/tf-plugins).
      version = "~> 5.100"
    }
  }
}
