output "bucket_name" {
  description = "State bucket name (account.hcl: state_bucket)."
  value       = aws_s3_bucket.state.id
}

output "bucket_arn" {
  description = "State bucket ARN."
  value       = aws_s3_bucket.state.arn
}

output "kms_key_arn" {
  description = "KMS key that encrypts the state."
  value       = aws_kms_key.state.arn
}
