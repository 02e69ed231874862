# The prod AWS account. The only file where its account id appears: replace it with yours.
locals {
  account_id   = "333333333333"
  account_name = "idp-prod"
  environment  = "prod"

  # State (created once by live/prod/_bootstrap/state-backend; see docs/infrastructure.md "Bootstrap a new account").
  state_bucket = "idp-terraform-state-333333333333"
  state_region = "eu-west-1"

  cost_center = "Engineering"
  owner       = "IDP-Team"
  repository  = "your-org/idp-platform"
}
