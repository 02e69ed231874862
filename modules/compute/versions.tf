terraform {
  required_version = ">= 1.11, < 2.0" # write-only attributes (secret_string_wo)

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100, < 7.0" # docs/adr/0001-provider-policy.md
    }
  }
}
