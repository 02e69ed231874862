# The Bedrock Data Automation project the functions invoke. Its blueprints are published from
# doc-configs/ by `idp configs publish` (which attaches them to this project), so Terraform owns
# the project and leaves its custom-output blueprint list to the publisher.
data "aws_caller_identity" "current" {}
data "aws_region" "current" {}

module "names" {
  source      = "../naming"
  project     = var.project
  environment = var.environment
  account_id  = data.aws_caller_identity.current.account_id
  region      = data.aws_region.current.region
}

resource "aws_bedrockdataautomation_project" "documents" {
  name = module.names.bda_project

  lifecycle {
    ignore_changes = [custom_output_configuration]
  }
}
