terraform {
  # templatefile(), optional() object attributes, moved blocks, check-free: 1.5 is plenty.
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # The exact version comes from .terraform.lock.hcl (5.100.0, the one in /opt/tf-plugins).
      version = "~> 5.100"
    }
  }
}
