# The results bucket. Three top-level prefixes, each with one writer:
#   <results_prefix>/  the functions (Parquet, outcome envelopes, manifests, run index)
#   athena-results/    Athena query results (the workgroup's output location)
#   lambda-code/       the artifacts, lambda-code/<parent|child>/<sha256>.zip, uploaded by
#                      `make deploy` create-if-absent and never deleted (rollback and audit);
#                      Lambda reads them with the deployer's rights

resource "aws_s3_bucket" "results" {
  # checkov:skip=CKV_AWS_18: server access logs would need a second bucket; who wrote what is in the functions' logs and CloudTrail, who asked for a run in the API access log
  # checkov:skip=CKV_AWS_144: results are reproducible from the request (seeded), and versioning guards against overwrites; cross-region replication doubles cost for no recovery need
  # checkov:skip=CKV_AWS_145: SSE-S3 on purpose: Athena, the functions and the analysts read without per-reader KMS grants; see the encryption configuration below
  # checkov:skip=CKV2_AWS_62: nothing reacts to new objects; the status reads the bucket on demand
  bucket        = local.bucket_name
  force_destroy = var.force_destroy
}

resource "aws_s3_bucket_ownership_controls" "results" {
  bucket = aws_s3_bucket.results.id

  rule {
    # ACLs disabled: access is decided by IAM and the bucket policy only.
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "results" {
  bucket = aws_s3_bucket.results.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_server_side_encryption_configuration" "results" {
  bucket = aws_s3_bucket.results.id

  rule {
    # SSE-S3. The store sends no encryption header (see adapters/aws/s3_store.py), so switching
    # this to aws:kms later needs no code change, only kms:GenerateDataKey/Decrypt grants.
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_versioning" "results" {
  bucket = aws_s3_bucket.results.id

  versioning_configuration {
    # Results are written create-if-absent and never replaced; versions guard against a bug or
    # a person that overwrites or deletes them anyway, and let Lambda pin the code version.
    status = "Enabled"
  }
}

data "aws_iam_policy_document" "results_bucket" {
  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      aws_s3_bucket.results.arn,
      "${aws_s3_bucket.results.arn}/*",
    ]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }

  statement {
    sid     = "DenyOutdatedTls"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      aws_s3_bucket.results.arn,
      "${aws_s3_bucket.results.arn}/*",
    ]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "NumericLessThan"
      variable = "s3:TlsVersion"
      values   = ["1.2"]
    }
  }
}

resource "aws_s3_bucket_policy" "results" {
  count  = var.attach_bucket_policy ? 1 : 0
  bucket = aws_s3_bucket.results.id
  policy = data.aws_iam_policy_document.results_bucket.json

  # S3 rejects a policy while the public access block is being changed.
  depends_on = [aws_s3_bucket_public_access_block.results]
}

resource "aws_s3_bucket_lifecycle_configuration" "results" {
  count  = var.enable_lifecycle ? 1 : 0
  bucket = aws_s3_bucket.results.id

  rule {
    id     = "expire-noncurrent-versions"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expiration_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  rule {
    id     = "expire-athena-results"
    status = "Enabled"

    filter {
      prefix = "${local.athena_results_prefix}/"
    }

    expiration {
      days = var.athena_results_expiration_days
    }
  }

  depends_on = [aws_s3_bucket_versioning.results]
}
