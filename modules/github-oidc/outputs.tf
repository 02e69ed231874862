output "plan_role_arn" {
  description = "Role the plan jobs assume (GitHub environment variable AWS_PLAN_ROLE_ARN)."
  value       = aws_iam_role.plan.arn
}

output "pr_plan_role_arn" {
  description = "Role a pull request's plan jobs assume: the state only (docs/adr/0002)."
  value       = aws_iam_role.pr_plan.arn
}

output "apply_role_arn" {
  description = "Role the apply job of this environment assumes (AWS_APPLY_ROLE_ARN)."
  value       = aws_iam_role.apply.arn
}

output "oidc_provider_arn" {
  description = "GitHub OIDC provider ARN."
  value       = local.provider_arn
}

output "image_push_role_arn" {
  description = "Role the image build job assumes (null outside the registry account)."
  value       = var.create_image_push_role ? aws_iam_role.push[0].arn : null
}
