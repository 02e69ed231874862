output "function_arns" {
  description = "Function ARN per key."
  value       = { for k, f in aws_lambda_function.this : k => f.arn }
}

output "function_names" {
  description = "Function name per key."
  value       = { for k, f in aws_lambda_function.this : k => f.function_name }
}

output "alias_arns" {
  description = "ARN of each function's `live` alias: what callers invoke (the state machine's tasks)."
  value       = { for k, a in aws_lambda_alias.live : k => a.arn }
}

output "alias_invoke_arns" {
  description = "Invoke ARN of each function's `live` alias (API Gateway integrations)."
  value       = { for k, a in aws_lambda_alias.live : k => a.invoke_arn }
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
