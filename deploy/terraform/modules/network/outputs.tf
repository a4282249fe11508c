output "vpc_id" {
  description = "The VPC."
  value       = aws_vpc.this.id
}

output "vpc_cidr_block" {
  description = "CIDR of the VPC."
  value       = aws_vpc.this.cidr_block
}

output "public_subnet_ids" {
  description = "Public subnets (the ALB, NAT gateways)."
  value       = aws_subnet.public[*].id
}

output "private_subnet_ids" {
  description = "Private subnets (every task, RDS)."
  value       = aws_subnet.private[*].id
}

output "nat_enabled" {
  description = "Whether private subnets reach the internet through NAT."
  value       = var.enable_nat
}
