# The test AWS account. The only file where its account id appears: replace it with yours.
locals {
  account_id   = "222222222222"
  account_name = "idp-test"
  environment  = "test"

  # State (created once by live/test/_bootstrap/state-backend; see docs/infrastructure.md "Bootstrap a new account").
  state_bucket = "idp-terraform-state-222222222222"
  state_region = "eu-west-1"

  cost_center = "Engineering"
  owner       = "IDP-Team"
  repository  = "your-org/idp-platform"
}
