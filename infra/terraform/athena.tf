# Glue database + Athena workgroup + the tables' DDL as named queries.
#
# Why named queries and not aws_glue_catalog_table: the table definitions are generated from
# schemas/v1 into infra/athena/ddl/*.sql (`make codegen`), and that DDL stays the single source.
# Re-declaring columns, SerDe and projection properties in HCL would be a second copy that can
# drift. Terraform renders each file with templatefile() and stores it as a named query; running
# them is one documented step after apply (Terraform has no resource that executes a query, and
# a local-exec would need the AWS CLI wherever Terraform runs):
#
#   terraform output -json athena_ddl_commands | jq -r '.[]' | sh
#
# The statements are CREATE EXTERNAL TABLE IF NOT EXISTS over partition projection: re-running
# them is harmless and no partition ever needs registering. After a schema change, DROP TABLE
# (external: the data stays) and run them again.

locals {
  glue_database = replace("${var.name_prefix}_sweeps", "-", "_")
  athena_tables = ["shard_metrics", "shard_errors", "shard_outcomes", "run_metrics", "trip_data", "snapshot_counts"]

  athena_ddl = {
    for table in local.athena_tables : table => trimsuffix(trimspace(join("\n", [
      # The files open with a comment block (generation notice, rendering notes); Athena gets
      # the statement only, without the trailing semicolon.
      for line in split("\n", templatefile("${path.module}/../athena/ddl/${table}.sql", {
        database = local.glue_database
        bucket   = aws_s3_bucket.results.id
        prefix   = local.results_prefix
      })) : line if !startswith(line, "--")
    ])), ";")
  }
}

resource "aws_glue_catalog_database" "sweeps" {
  name        = local.glue_database
  description = "serverless-sweep results (tables: ${join(", ", local.athena_tables)})"
}

resource "aws_athena_workgroup" "sweeps" {
  name          = "${var.name_prefix}-sweeps"
  description   = "serverless-sweep analytics; results under s3://${aws_s3_bucket.results.id}/${local.athena_results_prefix}/"
  force_destroy = var.force_destroy

  configuration {
    # Clients cannot point results elsewhere or turn encryption off.
    enforce_workgroup_configuration    = true
    publish_cloudwatch_metrics_enabled = true
    bytes_scanned_cutoff_per_query     = var.athena_bytes_scanned_cutoff

    result_configuration {
      output_location = "s3://${aws_s3_bucket.results.id}/${local.athena_results_prefix}/"

      encryption_configuration {
        encryption_option = "SSE_S3"
      }
    }
  }
}

resource "aws_athena_named_query" "create_table" {
  for_each = local.athena_ddl

  name        = "create-table-${each.key}"
  description = "CREATE EXTERNAL TABLE ${each.key} (generated: infra/athena/ddl/${each.key}.sql)"
  workgroup   = aws_athena_workgroup.sweeps.id
  database    = aws_glue_catalog_database.sweeps.name
  query       = each.value
}
