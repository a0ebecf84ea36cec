"""Pure core: validation, fingerprints, shard math, index decoding and storage keys.

No I/O, no boto3, no imports from handlers, models or adapters: everything here is a function of
its arguments, so the parent, the child, the CLI and the tests agree by construction.
"""
