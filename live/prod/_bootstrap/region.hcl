# The bootstrap's region: where this account's state bucket and state key live (account.hcl's
# state_region - a test keeps them equal). The root terragrunt.hcl finds it from the bootstrap units.
locals {
  aws_region = "eu-west-1"
}
