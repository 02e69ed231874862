# Bootstrap, applied once by an admin (README "Bootstrap a new account"). It creates the bucket
# every other unit keeps its state in, so its own state is local (never commit it; the README
# says where to keep it).
include "root" {
  path   = "${get_repo_root()}/terragrunt.hcl"
  expose = true
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
  bucket_name = include.root.locals.account.state_bucket
}
