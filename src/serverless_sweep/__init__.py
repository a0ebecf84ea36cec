"""serverless-sweep: schema-first parameter sweeps, local or on AWS Lambda, into Parquet."""

__version__ = "0.1.0"
