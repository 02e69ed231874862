output "environments" {
  description = "GitHub environments managed here."
  value       = [for env in github_repository_environment.this : env.environment]
}

output "ruleset_id" {
  description = "Id of the ruleset on main."
  value       = github_repository_ruleset.main.ruleset_id
}
