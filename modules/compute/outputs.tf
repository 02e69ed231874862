output "function_arns" {
  description = "Function ARN per key."
  value       = { for k, f in aws_lambda_function.this : k => f.arn }
}

output "function_names" {
  description = "Function name per key."
  value       = { for k, f in aws_lambda_function.this : k => f.function_name }
}

output "function_invoke_arns" {
  description = "Invoke ARN per key (API Gateway integrations)."
  value       = { for k, f in aws_lambda_function.this : k => f.invoke_arn }
}

output "image_uris" {
  description = "Deployed image URI (repository@digest) per key: the rollback job redeploys these."
  value       = { for k, f in aws_lambda_function.this : k => f.image_uri }
}

output "callback_secret_arn" {
  description = "ARN of the callback signing secret."
  value       = aws_secretsmanager_secret.callback.arn
}
