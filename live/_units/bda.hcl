# Unit definition shared by live/<env>/<region>/bda.
terraform {
  source = "${get_repo_root()}/modules//bda"
}
