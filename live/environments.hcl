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
# traffic: how the release's new function versions take the traffic after the apply (`idp traffic
# shift`, docs/adr/0004): all-at-once, canary (percent for every_minutes, then all) or linear (percent
# more every every_minutes); then bake_minutes watching. Any of the env's alarms in ALARM, or a new
# version failing above 10 % of its invocations, returns all traffic to the previous versions.
# load: the load test a release passes in this env before the next env may start (`idp load run`, after
# the smoke test): `documents` at `concurrency` through the signed API, each to its terminal status;
# more than max_error_rate_percent failed, a p95 end-to-end above max_p95_seconds or fewer than
# min_documents_per_minute stops the promotion. No entry: no load test (dev is for trying things; prod
# serves its clients - the release it gets has passed test's).
locals {
  environments = [
    {
      name       = "dev"
      protected  = true
      wait_timer = 0
      traffic    = { shift = "all-at-once", percent = 100, every_minutes = 0, bake_minutes = 2 }
    },
    {
      name       = "test"
      protected  = true
      wait_timer = 0
      traffic    = { shift = "canary", percent = 10, every_minutes = 5, bake_minutes = 5 }
      load = {
        documents                = 100
        concurrency              = 10
        max_error_rate_percent   = 1
        max_p95_seconds          = 180
        min_documents_per_minute = 20
        timeout_minutes          = 20
      }
    },
    {
      name       = "prod"
      protected  = true
      wait_timer = 10
      traffic    = { shift = "linear", percent = 10, every_minutes = 1, bake_minutes = 10 }
    },
  ]
}
