# The environments, in promotion order - the one list. `idp changes` (which envs and units a change
# affects), the deploy's stages, the PR plans, the drift report, the registry's pull accounts
# (live/_units/ecr.hcl) and the GitHub environments (live/_github) all read it. Each env's account
# facts live in live/<name>/account.hcl. The first env's account holds the image registry.
#
# Adding an env: one entry here and its folder live/<name>/ (account.hcl, env.hcl, units).
#
# protected: the env's reviewers approve its deploy at the GitHub environment gate, seeing the plan
# the apply will verify and apply. Every env is protected by default, dev included: an unprotected
# env applies a plan no one approved (the PR showed a plan made before the merge, without the new
# images, and other merges or drift may have changed it since). Set false knowingly.
# wait_timer: minutes between the approval and the apply.
locals {
  environments = [
    { name = "dev", protected = true, wait_timer = 0 },
    { name = "test", protected = true, wait_timer = 0 },
    { name = "prod", protected = true, wait_timer = 10 },
  ]
}
