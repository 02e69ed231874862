locals {
  aws_region = "eu-west-1"
  # Bedrock Data Automation cross-region inference profile for this region.
  bda_profile_id = "eu.data-automation-v1"
}
