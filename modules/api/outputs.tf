output "api_url" {
  description = "Base URL of the stage (idp smoke --api)."
  value       = aws_api_gateway_stage.this.invoke_url
}

output "rest_api_id" {
  description = "REST API id."
  value       = aws_api_gateway_rest_api.this.id
}

output "rest_api_name" {
  description = "REST API name (CloudWatch ApiName dimension)."
  value       = aws_api_gateway_rest_api.this.name
}

output "stage_name" {
  description = "Stage name."
  value       = aws_api_gateway_stage.this.stage_name
}
