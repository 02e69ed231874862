output "intake_queue_arn" {
  description = "Intake queue ARN (event source of sqs_poller)."
  value       = aws_sqs_queue.intake.arn
}

output "intake_queue_url" {
  description = "Intake queue URL."
  value       = aws_sqs_queue.intake.id
}

output "intake_queue_name" {
  description = "Intake queue name."
  value       = aws_sqs_queue.intake.name
}

output "dlq_arn" {
  description = "Dead-letter queue ARN."
  value       = aws_sqs_queue.dlq.arn
}

output "dlq_url" {
  description = "Dead-letter queue URL."
  value       = aws_sqs_queue.dlq.id
}

output "dlq_name" {
  description = "Dead-letter queue name."
  value       = aws_sqs_queue.dlq.name
}

output "bda_events_queue_arn" {
  description = "Queue of BDA's job-ended events (event source of bda_orchestrator)."
  value       = aws_sqs_queue.worker["bda_events"].arn
}

output "bda_events_dlq_name" {
  description = "Dead-letter queue of the BDA events queue."
  value       = aws_sqs_queue.worker_dlq["bda_events"].name
}

output "callbacks_queue_arn" {
  description = "Queue of document callbacks (event source of status_updater)."
  value       = aws_sqs_queue.worker["callbacks"].arn
}

output "callbacks_queue_url" {
  description = "Queue of document callbacks (every function that ends a document sends to it)."
  value       = aws_sqs_queue.worker["callbacks"].id
}

output "callbacks_dlq_name" {
  description = "Dead-letter queue of callbacks never delivered."
  value       = aws_sqs_queue.worker_dlq["callbacks"].name
}
