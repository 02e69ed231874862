include "root" {
  path = "${get_repo_root()}/terragrunt.hcl"
}

include "unit" {
  path   = "${get_repo_root()}/live/_units/state-backend.hcl"
  expose = true
}
