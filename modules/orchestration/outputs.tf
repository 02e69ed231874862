output "state_machine_arn" {
  description = "ARN of the document flow state machine."
  value       = aws_sfn_state_machine.flow.arn
}

output "state_machine_name" {
  description = "Name of the document flow state machine."
  value       = aws_sfn_state_machine.flow.name
}
