# The environments, in promotion order - the one list. `idp changes` (which envs and units a change
# affects), the deploy's stages, the PR plans, the drift report, the registry's pull accounts
# (live/_units/ecr.hcl) and the GitHub environments (live/_github) all read it. Each env's account
# facts live in live/<name>/account.hcl. The first env's account holds the image registry.
#
# Adding an env: one entry here and its folder live/<name>/ (account.hcl, env.hcl, units).
locals {
  environments = [
    { name = "dev", protected = false, wait_timer = 0 },
    { name = "test", protected = true, wait_timer = 0 },
    { name = "prod", protected = true, wait_timer = 10 },
  ]
}
