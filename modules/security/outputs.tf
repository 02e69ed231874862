output "kms_key_arn" {
  description = "ARN of the customer-managed data key."
  value       = aws_kms_key.data.arn
}

output "kms_key_id" {
  description = "Id of the customer-managed data key."
  value       = aws_kms_key.data.key_id
}

output "function_role_arns" {
  description = "IAM role ARN per Lambda function key."
  value       = { for name, role in aws_iam_role.function : name => role.arn }
}

output "bda_profile_arn" {
  description = "Bedrock Data Automation profile ARN the functions may invoke."
  value       = local.bda_profile_arn
}
