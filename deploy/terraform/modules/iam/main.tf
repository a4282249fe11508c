# One execution role (pull the image, write its own log group, read its own secrets) and one
# task role (what the code may call) per deployable. Only roles listed in `lake_writers` may
# touch the lake; the others have no S3 permission at all.

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_iam_role" "execution" {
  for_each           = var.secret_arns
  name               = "${var.name}-${each.key}-execution"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

data "aws_iam_policy_document" "execution" {
  for_each = var.secret_arns
  statement {
    sid       = "AuthorizeToEcr"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"] # this action has no resource-level permissions
  }
  statement {
    sid       = "PullTheImage"
    actions   = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]
    resources = [var.ecr_repository_arn]
  }
  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["arn:aws:logs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:log-group:/ecom/${var.name}/${each.key}:*"]
  }
  dynamic "statement" {
    for_each = length(each.value) > 0 ? [each.value] : []
    content {
      sid       = "ReadOwnSecrets"
      actions   = ["secretsmanager:GetSecretValue"]
      resources = statement.value
    }
  }
  statement {
    sid       = "DecryptImageAndSecrets"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]
  }
}

resource "aws_iam_role_policy" "execution" {
  for_each = var.secret_arns
  name     = "execution"
  role     = aws_iam_role.execution[each.key].id
  policy   = data.aws_iam_policy_document.execution[each.key].json
}

resource "aws_iam_role" "task" {
  for_each           = var.secret_arns
  name               = "${var.name}-${each.key}-task"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

data "aws_iam_policy_document" "lake_write" {
  statement {
    sid       = "ListTheLake"
    actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
    resources = [var.lake_bucket_arn]
  }
  statement {
    sid       = "ReadAndWriteTheLake"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"]
    resources = ["${var.lake_bucket_arn}/${var.lake_prefix}/*"]
  }
  statement {
    sid       = "EncryptLakeObjects"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }
}

resource "aws_iam_role_policy" "lake_write" {
  for_each = toset(var.lake_writers)
  name     = "lake-write"
  role     = aws_iam_role.task[each.key].id
  policy   = data.aws_iam_policy_document.lake_write.json
}

data "aws_iam_policy_document" "report_read" {
  statement {
    sid       = "ReadTheReports"
    actions   = ["s3:GetObject"]
    resources = ["${var.lake_bucket_arn}/${var.lake_prefix}/reports/*"]
  }
  statement {
    sid       = "DecryptLakeObjects"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]
  }
}

resource "aws_iam_role_policy" "report_read" {
  for_each = toset(var.report_readers)
  name     = "report-read"
  role     = aws_iam_role.task[each.key].id
  policy   = data.aws_iam_policy_document.report_read.json
}
