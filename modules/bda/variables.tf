variable "project" {
  description = "Short project name (first part of every resource name)."
  type        = string
}

variable "environment" {
  description = "Environment name (dev, test, prod)."
  type        = string
}
