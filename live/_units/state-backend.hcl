# Bootstrap unit shared by live/<env>/_bootstrap/state-backend, applied once by an admin
# (docs/infrastructure.md, "Bootstrap a new account"). It creates the bucket every other unit keeps
# its state in, so its own state is local (never commit it; that runbook says where to keep it).
locals {
  account = read_terragrunt_config(find_in_parent_folders("account.hcl")).locals
}

remote_state {
  backend = "local"
  generate = {
    path      = "backend.tf"
    if_exists = "overwrite_terragrunt"
  }
  config = {
    path = "${get_terragrunt_dir()}/terraform.tfstate"
  }
}

terraform {
  source = "${get_repo_root()}/modules//state-backend"
}

inputs = {
  bucket_name = local.account.state_bucket
}
