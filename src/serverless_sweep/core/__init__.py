"""Pure core: validation, fingerprints, shard math, index decoding and storage keys. No I/O, no boto3."""
