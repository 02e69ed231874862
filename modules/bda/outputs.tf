output "project_arn" {
  description = "ARN of the BDA project (BDA_PROJECT_ARN of bda_orchestrator, --bda-project-arn of the publisher)."
  value       = aws_bedrockdataautomation_project.documents.arn
}

output "project_name" {
  description = "Name of the BDA project."
  value       = aws_bedrockdataautomation_project.documents.name
}
