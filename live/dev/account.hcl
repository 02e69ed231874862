# The dev AWS account. The only file where its account id appears: replace it with yours.
locals {
  account_id   = "111111111111"
  account_name = "idp-dev"
  environment  = "dev"

  # State (created once by live/dev/_bootstrap/state-backend; see docs/infrastructure.md "Bootstrap a new account").
  state_bucket = "idp-terraform-state-111111111111"
  state_region = "eu-west-1"

  cost_center = "Engineering"
  owner       = "IDP-Team"
  repository  = "your-org/idp-platform"
}
