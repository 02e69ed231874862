output "repository_urls" {
  description = "Repository URL per function key (the same in every account: the registry account's)."
  value       = { for fn, name in local.repositories : fn => "${local.registry_url}/${name}" }
}

output "is_registry_account" {
  description = "Whether this account holds the repositories."
  value       = local.is_registry
}
