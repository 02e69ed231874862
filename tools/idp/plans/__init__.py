"""Terraform plan JSON (`terraform show -json`): load, summarise, render for PRs, fingerprint."""
