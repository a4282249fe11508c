output "dns_name" {
  description = "Address of the ALB (point the site's DNS name at it)."
  value       = aws_lb.this.dns_name
}

output "zone_id" {
  description = "Route 53 zone of the ALB (for an alias record)."
  value       = aws_lb.this.zone_id
}

output "security_group_id" {
  description = "Security group of the ALB."
  value       = aws_security_group.alb.id
}

output "target_group_arn" {
  description = "Target group of the gateway."
  value       = aws_lb_target_group.gateway.arn
}
