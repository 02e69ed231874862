output "bucket_names" {
  description = "Bucket names by purpose."
  value       = { for k, b in aws_s3_bucket.this : k => b.id }
}

output "bucket_arns" {
  description = "Bucket ARNs by purpose."
  value       = { for k, b in aws_s3_bucket.this : k => b.arn }
}

output "input_bucket_name" {
  description = "Input (upload) bucket name."
  value       = aws_s3_bucket.this["input"].id
}

output "input_bucket_arn" {
  description = "Input (upload) bucket ARN."
  value       = aws_s3_bucket.this["input"].arn
}

output "documents_table_name" {
  description = "Documents table name."
  value       = aws_dynamodb_table.documents.name
}

output "documents_table_arn" {
  description = "Documents table ARN."
  value       = aws_dynamodb_table.documents.arn
}

output "config_table_name" {
  description = "Config-cache table name."
  value       = aws_dynamodb_table.config_cache.name
}
