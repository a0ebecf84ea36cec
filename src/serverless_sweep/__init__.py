"""serverless-sweep: schema-first parameter sweeps, local or on AWS Lambda, landing Athena-ready Parquet."""

__version__ = "0.1.0"
